// `circnn train` and `circnn finetune` run in-process on a small synthetic dataset written to the
// temp folder: outputs, formats, JSON metrics, provenance history and usage errors.

#include <QTest>

#include <fstream>
#include <random>
#include <sstream>

#include <nlohmann/json.hpp>

#include "CommandRegistry.h"
#include "TestSupport.h"
#include "io/DatasetFile.h"
#include "io/ModelFile.h"

using namespace circnn;

namespace {

int run(const std::vector<std::string>& args, std::string& out, std::string& err)
{
    std::ostringstream o, e;
    const int rc = cli::runCli(args, o, e);
    out = o.str();
    err = e.str();
    return rc;
}

} // namespace

class TestCliTrain : public QObject {
    Q_OBJECT

    std::filesystem::path m_dir, m_train, m_test;

private slots:
    void initTestCase()
    {
        m_dir = test::tempDir() / "cli_train";
        std::filesystem::create_directories(m_dir);
        // 3 classes in 16 dimensions: class c has bright pixels in band c.
        std::mt19937 rng(3);
        std::uniform_real_distribution<float> u(0, 0.3f);
        for (int part = 0; part < 2; ++part) {
            Dataset d;
            const std::int64_t n = part == 0 ? 300 : 90;
            d.images = Tensor({n, 4, 4});
            d.classCount = 3;
            for (std::int64_t i = 0; i < n; ++i) {
                const int c = static_cast<int>(i % 3);
                d.labels.push_back(c);
                for (int j = 0; j < 16; ++j)
                    d.images[i * 16 + j] = u(rng) + (j / 5 == c ? 0.7f : 0.0f);
            }
            writeDatasetH5(d, part == 0 ? m_dir / "train.h5" : m_dir / "test.h5", true);
        }
        m_train = m_dir / "train.h5";
        m_test = m_dir / "test.h5";
    }

    void trainCirculantNative()
    {
        std::string out, err;
        const auto model = m_dir / "k4.circnn.h5";
        const int rc = run({"train", "16-16-3", "-k", "4", "--data", m_train.string(), "--epochs", "4", "--lr", "0.02",
                            "--test", m_test.string(), "-o", model.string(), "--json"},
                           out, err);
        QVERIFY2(rc == 0, err.c_str());
        const nlohmann::json j = nlohmann::json::parse(out);
        QCOMPARE(j["format"].get<std::string>(), std::string("circnn"));
        QCOMPARE(j["history"].size(), std::size_t(4));
        QVERIFY(j["test"]["top1"].get<double>() > 0.8);
        const ModelSpec m = readModel(model);
        QVERIFY(m.layers[1].circulant.has_value());
        QCOMPARE(m.provenance.history.size(), std::size_t(4));
        QCOMPARE(m.provenance.history[3].trainLoss, j["history"][3]["loss"].get<double>());
    }

    void trainDenseKerasThenFinetune()
    {
        std::string out, err;
        const auto dense = m_dir / "dense.h5";
        int rc =
            run({"train", "16-16-3", "--data", m_train.string(), "--epochs", "3", "--lr", "0.02", "-o", dense.string()},
                out, err);
        QVERIFY2(rc == 0, err.c_str());
        QVERIFY(out.find("epoch 3/3") != std::string::npos);
        QVERIFY(out.find("keras-h5") != std::string::npos);
        QCOMPARE(detectModelFormat(dense), ModelFormat::KerasH5);

        const auto tuned = m_dir / "tuned.circnn.h5";
        rc = run({"finetune", dense.string(), "-k", "4", "--data", m_train.string(), "--epochs", "2", "--test",
                  m_test.string(), "-o", tuned.string(), "--json"},
                 out, err);
        QVERIFY2(rc == 0, err.c_str());
        const nlohmann::json j = nlohmann::json::parse(out);
        QVERIFY(j["test"].contains("original") && j["test"].contains("projected") && j["test"].contains("finetuned"));
        QVERIFY(j["parameters"].get<std::int64_t>() < j["parameters_before"].get<std::int64_t>());
        const ModelSpec m = readModel(tuned);
        QVERIFY(m.layers[1].circulant.has_value());
        QCOMPARE(m.provenance.history.size(), std::size_t(2));

        // Plan file (the same format as `circnn convert --plan`): per-layer block sizes.
        const auto plan = m_dir / "plan.json";
        std::ofstream(plan) << "{\"layers\": {\"" << m.layers[1].name << "\": 2}}";
        rc = run({"finetune", dense.string(), "--plan", plan.string(), "--data", m_train.string(), "--epochs", "1",
                  "-o", (m_dir / "plan.circnn.h5").string()},
                 out, err);
        QVERIFY2(rc == 0, err.c_str());
        QCOMPARE(readModel(m_dir / "plan.circnn.h5").layers[1].circulant->k, std::int64_t(2));
    }

    void finetuneDataAwareProjection()
    {
        std::string out, err;
        const auto dense = m_dir / "dense_for_dap.h5";
        int rc = run(
            {"train", "16-16-8-3", "--data", m_train.string(), "--epochs", "2", "--lr", "0.02", "-o", dense.string()},
            out, err);
        QVERIFY2(rc == 0, err.c_str());
        const auto tuned = m_dir / "tuned_dap.circnn.h5";
        rc = run({"finetune", dense.string(), "-k", "4", "--data", m_train.string(), "--epochs", "1", "--test",
                  m_test.string(), "--projection", "data", "--calibration", "100", "-o", tuned.string(), "--json"},
                 out, err);
        QVERIFY2(rc == 0, err.c_str());
        const nlohmann::json j = nlohmann::json::parse(out);
        QCOMPARE(j["projection"].get<std::string>(), std::string("data"));
        QCOMPARE(j["data_aware"]["calibration_samples"].get<std::int64_t>(), std::int64_t(100));
        QCOMPARE(j["data_aware"]["layers"].size(), std::size_t(2)); // the output layer stays dense
        for (const auto& l : j["data_aware"]["layers"]) {
            QVERIFY(l["data_aware"].get<bool>());
            QVERIFY(l["data_aware_output_error"].get<double>() <= l["frobenius_output_error"].get<double>());
        }
        QVERIFY(readModel(tuned).provenance.notes.find("data-aware") != std::string::npos);
        // Text output names the projection; the default is data-aware.
        rc = run({"finetune", dense.string(), "-k", "4", "--data", m_train.string(), "--epochs", "1", "--projection",
                  "data", "-o", tuned.string()},
                 out, err);
        QVERIFY2(rc == 0, err.c_str());
        QVERIFY(out.find("data-aware projection (270 calibration samples)") != std::string::npos);
        rc = run({"finetune", dense.string(), "-k", "4", "--data", m_train.string(), "--epochs", "1", "-o",
                  tuned.string(), "--json"},
                 out, err);
        QVERIFY2(rc == 0, err.c_str());
        QCOMPARE(nlohmann::json::parse(out)["projection"].get<std::string>(), std::string("data"));
        const std::vector<std::string> base{"finetune",       dense.string(), "-k", "4",  "--data",
                                            m_train.string(), "--epochs",     "1",  "-o", tuned.string()};
        const auto with = [&](std::vector<std::string> extra) {
            std::vector<std::string> args = base;
            args.insert(args.end(), extra.begin(), extra.end());
            return run(args, out, err);
        };
        // `circnn convert --calibrate` (projection only).
        rc = run({"convert", dense.string(), "-k", "4", "--calibrate", m_train.string(), "--calibration", "50", "-o",
                  tuned.string(), "--json"},
                 out, err);
        QVERIFY2(rc == 0, err.c_str());
        const nlohmann::json c = nlohmann::json::parse(out);
        QCOMPARE(c["data_aware"]["calibration_samples"].get<std::int64_t>(), std::int64_t(50));
        QCOMPARE(c["data_aware"]["layers"].size(), std::size_t(2));
        QVERIFY(c["data_aware"]["layers"][0]["data_aware"].get<bool>());
        QCOMPARE(run({"convert", dense.string(), "-k", "4", "--calibrate", m_train.string(), "--calibration", "0", "-o",
                      tuned.string()},
                     out, err),
                 2);
        QCOMPARE(with({"--projection", "fancy"}), 2);
        QVERIFY(err.find("--projection") != std::string::npos);
        QCOMPARE(with({"--projection", "data", "--calibration", "0"}), 2);
        QCOMPARE(with({"--projection", "data", "--ridge", "-1"}), 2);
    }

    void reorderingIsOnByDefaultAndCanBeTurnedOff()
    {
        std::string out, err;
        const auto dense = m_dir / "dense_for_reorder.h5";
        int rc = run(
            {"train", "16-16-8-3", "--data", m_train.string(), "--epochs", "2", "--lr", "0.02", "-o", dense.string()},
            out, err);
        QVERIFY2(rc == 0, err.c_str());
        const auto tuned = m_dir / "tuned_reorder.circnn.h5";
        const std::vector<std::string> finetune{
            "finetune", dense.string(), "-k",        "4",  "--data",       m_train.string(), "--epochs",
            "1",        "--projection", "frobenius", "-o", tuned.string(), "--json"};
        // finetune: both hidden layers reordered (the output layer stays dense and keeps its order).
        rc = run(finetune, out, err);
        QVERIFY2(rc == 0, err.c_str());
        nlohmann::json j = nlohmann::json::parse(out);
        QCOMPARE(j["reordering"].size(), std::size_t(2));
        for (const auto& l : j["reordering"]) {
            QVERIFY(l["reordered"].get<bool>());
            QVERIFY(l["residual_after"].get<double>() <= l["residual_before"].get<double>());
        }
        QCOMPARE(j["reordering"][0]["residual_after"].get<double>(), j["layers"][0]["relative_residual"].get<double>());
        QVERIFY(readModel(tuned).provenance.notes.find("reordered") != std::string::npos);
        std::vector<std::string> off = finetune;
        off.push_back("--no-reorder");
        rc = run(off, out, err);
        QVERIFY2(rc == 0, err.c_str());
        j = nlohmann::json::parse(out);
        QVERIFY(j["reordering"].empty());
        QVERIFY(readModel(tuned).provenance.notes.find("reordered") == std::string::npos);

        // convert: the reported residual drops, and the text output says what was reordered.
        rc = run({"convert", dense.string(), "-k", "4", "-o", tuned.string(), "--json"}, out, err);
        QVERIFY2(rc == 0, err.c_str());
        const nlohmann::json c = nlohmann::json::parse(out);
        rc = run({"convert", dense.string(), "-k", "4", "-o", tuned.string(), "--json", "--no-reorder"}, out, err);
        QVERIFY2(rc == 0, err.c_str());
        const nlohmann::json plain = nlohmann::json::parse(out);
        QCOMPARE(c["reordering"].size(), std::size_t(2));
        QVERIFY(plain["reordering"].empty());
        QVERIFY(c["layers"][0]["relative_residual"].get<double>() <
                plain["layers"][0]["relative_residual"].get<double>());
        QCOMPARE(c["reordering"][0]["residual_before"].get<double>(),
                 plain["layers"][0]["relative_residual"].get<double>());
        rc = run({"convert", dense.string(), "-k", "4", "-o", tuned.string()}, out, err);
        QVERIFY2(rc == 0, err.c_str());
        QVERIFY2(out.find("units reordered (inputs of") != std::string::npos, out.c_str());

        // eval -k: the same conversion, reported under "circulant".
        rc = run({"eval", dense.string(), "--data", m_test.string(), "-k", "4", "--json"}, out, err);
        QVERIFY2(rc == 0, err.c_str());
        QCOMPARE(nlohmann::json::parse(out)["circulant"]["reordering"].size(), std::size_t(2));
    }

    void finetuneAutoProjectionAndStartingPoint()
    {
        std::string out, err;
        const auto cnn = m_dir / "cnn_for_auto.h5";
        int rc = run({"train", "4x4x1-c8-c8-8-3", "--data", m_train.string(), "--epochs", "3", "--lr", "0.01", "-o",
                      cnn.string()},
                     out, err);
        QVERIFY2(rc == 0, err.c_str());
        const auto tuned = m_dir / "tuned_auto.circnn.h5";
        // A converted Conv2D layer: 'auto' takes the Frobenius start; reordering passes through
        // Flatten to the Dense layer.
        rc = run({"finetune", cnn.string(), "-k", "4", "--data", m_train.string(), "--epochs", "1", "-o",
                  tuned.string(), "--json"},
                 out, err);
        QVERIFY2(rc == 0, err.c_str());
        nlohmann::json j = nlohmann::json::parse(out);
        QCOMPARE(j["projection"].get<std::string>(), std::string("frobenius"));
        QVERIFY(!j.contains("data_aware"));
        QCOMPARE(j["reordering"][0]["consumer"].get<std::string>(), j["reordering"][1]["layer"].get<std::string>());
        QVERIFY(j["start_validation_accuracy"].get<double>() >= 0);
        // Training that only makes the model worse (a learning rate far too high, on a model that
        // is already perfect): the starting point is kept, with a warning.
        rc = run({"finetune", cnn.string(), "-k", "1", "--data", m_train.string(), "--epochs", "1", "--lr", "5", "-o",
                  tuned.string(), "--json"},
                 out, err);
        QVERIFY2(rc == 0, err.c_str());
        j = nlohmann::json::parse(out);
        QCOMPARE(j["best_epoch"].get<int>(), 0);
        QCOMPARE(j["best_validation_accuracy"].get<double>(), j["start_validation_accuracy"].get<double>());
        QVERIFY(j["history"][0]["val_accuracy"].get<double>() < j["start_validation_accuracy"].get<double>());
        bool warned = false;
        for (const auto& w : j["warnings"])
            warned = warned || w.get<std::string>().find("did not improve on its starting point") != std::string::npos;
        QVERIFY(warned);
        const ModelSpec kept = readModel(tuned), source = readModel(cnn);
        QCOMPARE(kept.provenance.history.size(), std::size_t(1));
        QVERIFY(kept.provenance.notes.find("the projected model was kept") != std::string::npos);
        // `circnn inspect` shows how the model was made.
        rc = run({"inspect", tuned.string()}, out, err);
        QVERIFY2(rc == 0, err.c_str());
        QVERIFY2(out.find("made by circnn finetune") != std::string::npos, out.c_str());
        QVERIFY(out.find("notes: ") != std::string::npos &&
                out.find("the projected model was kept") != std::string::npos);
        QVERIFY(out.find("trained 1 epoch; best validation accuracy") != std::string::npos);
        rc = run({"inspect", tuned.string(), "--json"}, out, err);
        QVERIFY2(rc == 0, err.c_str());
        QVERIFY(nlohmann::json::parse(out)["provenance"]["notes"].get<std::string>().find("was kept") !=
                std::string::npos);
        for (std::size_t i = 0; i < source.layers.size(); ++i)
            for (std::int64_t e = 0; e < source.layers[i].kernel.size(); ++e)
                QCOMPARE(kept.layers[i].kernel[e], source.layers[i].kernel[e]);
    }

    void finetuneWithAdmm()
    {
        std::string out, err;
        const auto dense = m_dir / "dense_admm.h5";
        int rc =
            run({"train", "16-16-3", "--data", m_train.string(), "--epochs", "3", "--lr", "0.02", "-o", dense.string()},
                out, err);
        QVERIFY2(rc == 0, err.c_str());
        const auto tuned = m_dir / "admm.circnn.h5";
        rc = run({"finetune", dense.string(), "-k", "4", "--data", m_train.string(), "--epochs", "3", "--admm-epochs",
                  "2", "--rho", "0.5", "--test", m_test.string(), "-o", tuned.string(), "--json"},
                 out, err);
        QVERIFY2(rc == 0, err.c_str());
        const nlohmann::json j = nlohmann::json::parse(out);
        QVERIFY(j.contains("admm"));
        const nlohmann::json& a = j["admm"];
        QCOMPARE(a["history"].size(), std::size_t(2));
        QCOMPARE(a["structure_residual"].size(), std::size_t(3));
        QVERIFY(a["structure_residual"][2].get<double>() < a["structure_residual"][0].get<double>());
        QVERIFY(a["test"].contains("dense") && a["test"].contains("projected"));
        // The residual of the projection after ADMM is below the one of the original.
        const std::string layer = j["layers"][0]["layer"].get<std::string>();
        QVERIFY(a["relative_residual"][layer].get<double>() < j["layers"][0]["relative_residual"].get<double>());
        // Fine-tuning epochs are numbered after the ADMM ones.
        QCOMPARE(j["history"].size(), std::size_t(1));
        QCOMPARE(j["history"][0]["epoch"].get<int>(), 3);
        QCOMPARE(j["best_epoch"].get<int>(), 3);
        const ModelSpec m = readModel(tuned);
        QVERIFY(m.layers[1].circulant.has_value());
        QCOMPARE(m.provenance.history.size(), std::size_t(1));

        // Text output names the ADMM phase; progress lines count all epochs.
        rc = run({"finetune", dense.string(), "-k", "4", "--data", m_train.string(), "--epochs", "2", "--admm-epochs",
                  "1", "--admm-every", "3", "--rho-growth", "1.1", "-o", tuned.string()},
                 out, err);
        QVERIFY2(rc == 0, err.c_str());
        QVERIFY(out.find("ADMM (1 epochs") != std::string::npos);
        QVERIFY(out.find("epoch 1/2") != std::string::npos && out.find("epoch 2/2") != std::string::npos);

        const std::vector<std::string> base{"finetune",       dense.string(), "-k", "4",  "--data",
                                            m_train.string(), "--epochs",     "2",  "-o", tuned.string()};
        const auto with = [&](std::vector<std::string> extra) {
            std::vector<std::string> args = base;
            args.insert(args.end(), extra.begin(), extra.end());
            return run(args, out, err);
        };
        QCOMPARE(with({"--admm-epochs", "2"}), 2); // no fine-tuning epoch left
        QVERIFY(err.find("--admm-epochs") != std::string::npos);
        QCOMPARE(with({"--admm-epochs", "1", "--rho", "0"}), 2);
        QCOMPARE(with({"--admm-epochs", "1", "--rho-growth", "0.5"}), 2);
        QCOMPARE(with({"--admm-epochs", "1", "--admm-every", "-1"}), 2);
        QCOMPARE(run({"finetune", "--help"}, out, err), 0);
        QVERIFY(out.find("--admm-epochs") != std::string::npos && out.find("--rho") != std::string::npos);
    }

    void trainFromJsonFileAndContinueModel()
    {
        std::string out, err;
        const auto arch = m_dir / "arch.json";
        std::ofstream(arch) << "{\"name\": \"tiny\", \"input\": [4, 4, 1], \"layers\": [{\"conv\": 4, \"kernel\": 3}, "
                               "{\"maxpool\": 2}, {\"dense\": 8, \"k\": 4}, {\"dense\": 3}]}";
        const auto cnn = m_dir / "cnn.circnn.h5";
        int rc =
            run({"train", arch.string(), "--data", m_train.string(), "--epochs", "2", "-o", cnn.string()}, out, err);
        QVERIFY2(rc == 0, err.c_str());
        const ModelSpec m = readModel(cnn);
        QCOMPARE(m.name, std::string("tiny"));
        QVERIFY(m.find("dense_1") && m.find("dense_1")->circulant.has_value());
        QCOMPARE(m.find("conv2d_1")->outputShape, (Shape{4, 4, 4}));

        // An existing model file trains further as it is; -k is refused there.
        const auto more = m_dir / "more.circnn.h5";
        rc = run({"train", cnn.string(), "--data", m_train.string(), "--epochs", "1", "-o", more.string(), "--json"},
                 out, err);
        QVERIFY2(rc == 0, err.c_str());
        QCOMPARE(nlohmann::json::parse(out)["history"].size(), std::size_t(1));
        QCOMPARE(run({"train", cnn.string(), "-k", "4", "--data", m_train.string(), "-o", more.string()}, out, err), 2);
    }

    void trainSequenceModelOnTokenIds()
    {
        // Token sequences padded with 0 after 6..12 ids; the label says whether the LAST real token
        // is a low (1..4) or high (5..8) id, so only a model that reads the sequence up to its own
        // end (the padding masked by mask_zero) can tell: chance is 1/2. Stored as uint8 without
        // the token_ids mark, so --integers ids has to say what the integers are.
        const std::int64_t steps = 12;
        std::mt19937 rng(5);
        std::uniform_int_distribution<int> id(1, 8), len(6, 12);
        std::filesystem::path files[2];
        for (int part = 0; part < 2; ++part) {
            Dataset d;
            const std::int64_t n = part == 0 ? 600 : 200;
            d.images = Tensor({n, steps}, 0.0f);
            d.classCount = 2;
            for (std::int64_t i = 0; i < n; ++i) {
                const int length = len(rng);
                int last = 0;
                for (int t = 0; t < length; ++t) {
                    last = id(rng);
                    d.images[i * steps + t] = static_cast<float>(last) / 255.0f; // stored as round(x·255)
                }
                d.labels.push_back(last <= 4 ? 0 : 1);
            }
            files[part] = m_dir / (part == 0 ? "tokens_train.h5" : "tokens_test.h5");
            writeDatasetH5(d, files[part], true);
        }
        const std::string arch = R"({"name": "last_token", "input": [12], "layers": [)"
                                 R"({"embedding": 8, "vocab": 9, "mask_zero": true}, {"lstm": 16}, {"dense": 2}]})";
        const auto model = m_dir / "lstm.circnn.h5";
        std::string out, err;
        int rc = run({"train", arch, "--data", files[0].string(), "--test", files[1].string(), "--integers", "ids",
                      "--epochs", "8", "--batch", "32", "--lr", "0.01", "--seed", "3", "-o", model.string(), "--json"},
                     out, err);
        QVERIFY2(rc == 0, err.c_str());
        const nlohmann::json j = nlohmann::json::parse(out);
        const auto& history = j["history"];
        QCOMPARE(history.size(), std::size_t(8));
        QVERIFY2(history.back()["loss"].get<double>() < 0.8 * history.front()["loss"].get<double>(), out.c_str());
        QVERIFY2(j["test"]["top1"].get<double>() > 0.75, out.c_str()); // chance: 0.5
        const ModelSpec m = readModel(model);
        QCOMPARE(m.layers[2].kind, LayerKind::LSTM);

        // Without the option the unmarked uint8 file holds pixels (scaled by 1/255): the Embedding
        // refuses them as ids, naming itself.
        rc = run({"train", arch, "--data", files[0].string(), "--epochs", "1", "-o", (m_dir / "no.circnn.h5").string()},
                 out, err);
        QVERIFY(rc != 0);
        QVERIFY2(err.find("mbedding") != std::string::npos, err.c_str());
        QVERIFY(!std::filesystem::exists(m_dir / "no.circnn.h5"));
    }

    void subsetCommand()
    {
        std::string out, err;
        const auto small = m_dir / "small.h5";
        QVERIFY2(run({"subset", m_train.string(), "-n", "10", "-o", small.string()}, out, err) == 0, err.c_str());
        const Dataset d = readDataset(small);
        QCOMPARE(d.count(), std::int64_t(10));
        const Dataset full = readDataset(m_train);
        QCOMPARE(std::vector<std::int32_t>(full.labels.begin(), full.labels.begin() + 10), d.labels);
        for (std::int64_t i = 0; i < 160; ++i)
            QVERIFY(std::abs(d.images[i] - full.images[i]) < 0.5f / 255);
        QCOMPARE(run({"subset", m_train.string(), "-n", "0", "-o", small.string()}, out, err), 2);
    }

    void usageErrors()
    {
        std::string out, err;
        QCOMPARE(run({"train", "16-16-3", "--data", m_train.string()}, out, err), 2); // no -o
        QVERIFY(err.find("-o") != std::string::npos);
        QCOMPARE(run({"train", "16-x-3", "--data", m_train.string(), "-o", (m_dir / "x.h5").string()}, out, err), 1);
        QCOMPARE(run({"train", "16-16-3", "--data", m_train.string(), "--optimizer", "lbfgs", "-o",
                      (m_dir / "x.h5").string()},
                     out, err),
                 2);
        QVERIFY(err.find("--optimizer") != std::string::npos);
        QCOMPARE(run({"train", "12-16-3", "--data", m_train.string(), "-o", (m_dir / "x.h5").string()}, out, err), 1);
        QVERIFY(!std::filesystem::exists(m_dir / "x.h5"));
        QCOMPARE(run({"finetune", (m_dir / "missing.h5").string(), "--data", m_train.string(), "-o",
                      (m_dir / "y.h5").string()},
                     out, err),
                 2); // neither -k nor --plan
        QCOMPARE(run({"train", "--help"}, out, err), 0);
        QVERIFY(out.find("--val-split") != std::string::npos);
    }
};

QTEST_APPLESS_MAIN(TestCliTrain)
#include "TestCliTrain.moc"
