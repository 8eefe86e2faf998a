// A corpus of malformed model files: truncated at many lengths, random bytes, valid HDF5 with
// missing or mis-shaped datasets, absurd sizes, NaN weights, broken zip members, unknown layer
// classes, bad JSON. Every case must give a circnn::Error whose message names the file (and the
// layer where there is one) — never a crash, a hang or another exception type.

#include <QTest>

#include <hdf5.h>
#include <zip.h>

#include <nlohmann/json.hpp>

#include <fstream>
#include <functional>
#include <random>

#include "IoTestUtil.h"
#include "TestSupport.h"
#include "common/Error.h"
#include "io/Hdf5.h"
#include "io/ModelFile.h"

using namespace circnn;
using nlohmann::json;

namespace {

std::string readBytes(const std::filesystem::path& p)
{
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

void writeBytes(const std::filesystem::path& p, const std::string& bytes)
{
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// readModel must throw circnn::Error naming the file and containing every `needle`.
void expectError(const std::filesystem::path& path, const std::vector<std::string>& needles = {})
{
    try {
        readModel(path);
    } catch (const Error& e) {
        const std::string msg = e.what();
        QVERIFY2(msg.find(path.string()) != std::string::npos, ("message does not name the file: " + msg).c_str());
        for (const auto& n : needles)
            QVERIFY2(msg.find(n) != std::string::npos, ("message lacks '" + n + "': " + msg).c_str());
        return;
    } catch (const std::exception& e) {
        QFAIL((std::string("non-circnn exception: ") + e.what()).c_str());
    }
    QFAIL(("accepted: " + path.string()).c_str());
}

// A valid Keras .h5 written by writeKerasH5, copied to `name` and edited in place by `edit`.
std::filesystem::path editedKeras(const std::string& name, const ModelSpec& spec,
                                  const std::function<void(h5::File&)>& edit)
{
    const auto path = test::tempDir() / name;
    writeKerasH5(spec, path);
    h5::File f;
    f.name = path.string();
    f.handle = h5::Handle(H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Fclose);
    if (!f.handle.valid())
        throw std::runtime_error("cannot reopen " + path.string());
    edit(f);
    return path;
}

json modelConfig(h5::File& f)
{
    return json::parse(*h5::readString(f, f.id(), "model_config", "/"));
}

void setModelConfig(h5::File& f, const std::string& text)
{
    H5Adelete(f.id(), "model_config");
    h5::writeString(f, f.id(), "model_config", text);
}

// Edits the config of the layer called `layer`.
std::function<void(h5::File&)> editLayerConfig(const std::string& layer, const std::function<void(json&)>& fn)
{
    return [=](h5::File& f) {
        json c = modelConfig(f);
        for (auto& l : c["config"]["layers"])
            if (l["config"]["name"] == layer)
                fn(l);
        setModelConfig(f, c.dump());
    };
}

// A .keras zip from config text and an HDF5 weights image.
void writeZip(const std::filesystem::path& path, const std::vector<std::pair<std::string, std::string>>& members,
              bool deflate)
{
    int err = 0;
    zip_t* z = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
    QVERIFY(z);
    for (const auto& [name, data] : members) {
        zip_source_t* s = zip_source_buffer(z, data.data(), data.size(), 0);
        const zip_int64_t idx = zip_file_add(z, name.c_str(), s, ZIP_FL_OVERWRITE);
        QVERIFY(idx >= 0);
        zip_set_file_compression(z, static_cast<zip_uint64_t>(idx), deflate ? ZIP_CM_DEFLATE : ZIP_CM_STORE, 0);
    }
    QVERIFY(zip_close(z) == 0);
}

// model.weights.h5 for mlpSpec: layers/dense{,_1,_2}/vars/{0,1}.
std::string mlpWeightsImage(const ModelSpec& m, bool dropOneVar = false)
{
    const auto tmp = test::tempDir() / "weights_image.h5";
    {
        h5::File f = h5::createFile(tmp.string());
        const char* groups[] = {"dense", "dense_1", "dense_2"};
        for (int i = 0; i < 3; ++i) {
            const LayerSpec& l = m.layers[std::size_t(i + 1)];
            const std::string base = std::string("layers/") + groups[i] + "/vars/";
            h5::writeFloatDataset(f, f.id(), base + "0", l.kernel);
            if (l.useBias && !(dropOneVar && i == 2))
                h5::writeFloatDataset(f, f.id(), base + "1", l.bias);
        }
    }
    return readBytes(tmp);
}

std::string mlpConfigText(const ModelSpec& m)
{
    const auto tmp = test::tempDir() / "config_source.h5";
    writeKerasH5(m, tmp);
    h5::File f = h5::openFile(tmp.string());
    return *h5::readString(f, f.id(), "model_config", "/");
}

} // namespace

class TestMalformedModels : public QObject {
    Q_OBJECT

private slots:
    void truncatedKerasH5()
    {
        const auto good = test::tempDir() / "trunc_source.h5";
        writeKerasH5(test::branchySpec(), good);
        const std::string bytes = readBytes(good);
        const std::size_t n = bytes.size();
        for (std::size_t len : {std::size_t(0), std::size_t(7), std::size_t(8), std::size_t(64), std::size_t(512),
                                std::size_t(2048), n / 4, n / 3, n / 2, 2 * n / 3, n - 512, n - 17, n - 1}) {
            const auto path = test::tempDir() / ("trunc_" + std::to_string(len) + ".h5");
            writeBytes(path, bytes.substr(0, len));
            expectError(path);
        }
    }

    void truncatedNative()
    {
        const auto good = test::tempDir() / "trunc_source.circnn.h5";
        writeNativeModel(test::branchySpec(), good);
        const std::string bytes = readBytes(good);
        const std::size_t n = bytes.size();
        for (std::size_t len : {std::size_t(100), n / 3, n / 2, n - 300, n - 1}) {
            const auto path = test::tempDir() / ("trunc_native_" + std::to_string(len) + ".circnn.h5");
            writeBytes(path, bytes.substr(0, len));
            expectError(path);
        }
    }

    void truncatedKerasZip()
    {
        const ModelSpec m = test::mlpSpec();
        for (bool deflate : {false, true}) {
            const auto good = test::tempDir() / (deflate ? "zip_deflated.keras" : "zip_stored.keras");
            writeZip(good, {{"config.json", mlpConfigText(m)}, {"model.weights.h5", mlpWeightsImage(m)}}, deflate);
            // The intact archive reads (so the truncations below fail for the right reason).
            const ModelSpec back = readModel(good);
            QVERIFY(back.layers[2].kernel == m.layers[2].kernel);
            const std::string bytes = readBytes(good);
            const std::size_t n = bytes.size();
            for (std::size_t len : {std::size_t(4), std::size_t(30), n / 4, n / 2, n - 100, n - 22, n - 1}) {
                const auto path =
                    test::tempDir() / ("trunc_zip_" + std::to_string(deflate) + "_" + std::to_string(len) + ".keras");
                writeBytes(path, bytes.substr(0, len));
                expectError(path);
            }
        }
    }

    void randomBytes()
    {
        std::mt19937 rng(99);
        const std::string prefixes[] = {"", "\x89HDF\r\n\x1a\n", "PK\x03\x04"};
        int i = 0;
        for (const auto& prefix : prefixes)
            for (std::size_t size : {std::size_t(1), std::size_t(100), std::size_t(4096), std::size_t(70000)}) {
                std::string bytes = prefix;
                while (bytes.size() < size + prefix.size())
                    bytes.push_back(static_cast<char>(rng() & 0xff));
                const auto path = test::tempDir() / ("random_" + std::to_string(i++) + ".h5");
                writeBytes(path, bytes);
                expectError(path);
            }
        expectError(test::tempDir() / "does_not_exist.h5", {"cannot open"});
        expectError(test::tempDir(), {"directory"});
    }

    void brokenZipMembers()
    {
        const ModelSpec m = test::mlpSpec();
        const std::string config = mlpConfigText(m);
        const std::string weights = mlpWeightsImage(m);
        const auto dir = test::tempDir();

        // A stored member with a flipped byte: CRC mismatch.
        writeZip(dir / "crc.keras", {{"config.json", config}, {"model.weights.h5", weights}}, false);
        std::string bytes = readBytes(dir / "crc.keras");
        const auto at = bytes.find("\x89HDF\r\n\x1a\n");
        QVERIFY(at != std::string::npos);
        bytes[at + weights.size() / 2] = static_cast<char>(bytes[at + weights.size() / 2] ^ 0x5a);
        writeBytes(dir / "crc.keras", bytes);
        expectError(dir / "crc.keras", {"model.weights.h5"});

        // A deflated member with corrupted compressed data.
        writeZip(dir / "inflate.keras", {{"config.json", config}, {"model.weights.h5", weights}}, true);
        bytes = readBytes(dir / "inflate.keras");
        const auto member = bytes.find("model.weights.h5");
        QVERIFY(member != std::string::npos);
        for (std::size_t k = member + 40; k < member + 240 && k < bytes.size(); ++k)
            bytes[k] = static_cast<char>(~bytes[k]);
        writeBytes(dir / "inflate.keras", bytes);
        expectError(dir / "inflate.keras");

        writeZip(dir / "noconfig.keras", {{"model.weights.h5", weights}}, false);
        expectError(dir / "noconfig.keras", {"config.json"});
        writeZip(dir / "noweights.keras", {{"config.json", config}}, false);
        expectError(dir / "noweights.keras", {"model.weights.h5"});
        writeZip(dir / "badjson.keras",
                 {{"config.json", "{\"class_name\": \"Sequential\", \"config\": [1, 2"}, {"model.weights.h5", weights}},
                 false);
        expectError(dir / "badjson.keras", {"config.json", "JSON"});
        writeZip(dir / "notweights.keras", {{"config.json", config}, {"model.weights.h5", "not an hdf5 file"}}, false);
        expectError(dir / "notweights.keras", {"model.weights.h5"});
        // The last Dense has its bias variable missing: positional mapping must notice.
        writeZip(dir / "missingvar.keras", {{"config.json", config}, {"model.weights.h5", mlpWeightsImage(m, true)}},
                 false);
        expectError(dir / "missingvar.keras", {"'out'", "expected 2"});
    }

    void missingAndMisshapedDatasets()
    {
        const ModelSpec m = test::mlpSpec();
        expectError(editedKeras("missing_kernel.h5", m,
                                [](h5::File& f) { H5Ldelete(f.id(), "/model_weights/d1/d1/kernel:0", H5P_DEFAULT); }),
                    {"'d1'", "kernel", "missing"});
        expectError(
            editedKeras(
                "misshaped_kernel.h5", m,
                [](h5::File& f) {
                    H5Ldelete(f.id(), "/model_weights/d2/d2/kernel:0", H5P_DEFAULT);
                    h5::writeFloatDataset(f, f.id(), "/model_weights/d2/d2/kernel:0", Tensor(Shape{7, 7}, 0.5f));
                }),
            {"'d2'", "kernel", "(7, 7)"});
        expectError(editedKeras("unwritten_kernel.h5", m,
                                [](h5::File& f) {
                                    H5Ldelete(f.id(), "/model_weights/d1/d1/kernel:0", H5P_DEFAULT);
                                    hsize_t dims[2] = {30, 20};
                                    hid_t space = H5Screate_simple(2, dims, nullptr);
                                    hid_t ds = H5Dcreate2(f.id(), "/model_weights/d1/d1/kernel:0", H5T_IEEE_F32LE,
                                                          space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
                                    H5Dclose(ds);
                                    H5Sclose(space);
                                }),
                    {"'d1'", "no data stored"});
        expectError(editedKeras("no_model_weights.h5", m,
                                [](h5::File& f) { H5Ldelete(f.id(), "/model_weights", H5P_DEFAULT); }),
                    {"model_weights"});
        expectError(editedKeras("layer_group_missing.h5", m,
                                [](h5::File& f) { H5Ldelete(f.id(), "/model_weights/out", H5P_DEFAULT); }),
                    {"out"});
        expectError(editedKeras("bad_weight_name.h5", m,
                                [](h5::File& f) {
                                    h5::Handle g = h5::openGroup(f, f.id(), "/model_weights/d1");
                                    H5Adelete(g.id(), "weight_names");
                                    h5::writeStrings(f, g.id(), "weight_names", {"d1/kernel:0", "elsewhere/bias:0"});
                                }),
                    {"'d1'", "elsewhere/bias:0"});
        expectError(editedKeras("string_dataset.h5", m,
                                [](h5::File& f) {
                                    H5Ldelete(f.id(), "/model_weights/d1/d1/bias:0", H5P_DEFAULT);
                                    h5::Handle g = h5::openGroup(f, f.id(), "/model_weights/d1/d1");
                                    h5::writeStrings(f, g.id(), "unused", {"x"});
                                    hid_t type = H5Tcopy(H5T_C_S1);
                                    H5Tset_size(type, 4);
                                    hsize_t dim = 20;
                                    hid_t space = H5Screate_simple(1, &dim, nullptr);
                                    hid_t ds = H5Dcreate2(g.id(), "bias:0", type, space, H5P_DEFAULT, H5P_DEFAULT,
                                                          H5P_DEFAULT);
                                    H5Dclose(ds);
                                    H5Sclose(space);
                                    H5Tclose(type);
                                }),
                    {"'d1'", "not numeric"});
    }

    void absurdDimensions()
    {
        const ModelSpec m = test::mlpSpec();
        expectError(editedKeras("units_1e12.h5", m,
                                editLayerConfig("d1", [](json& l) { l["config"]["units"] = 1000000000000LL; })),
                    {"'d1'"});
        expectError(
            editedKeras("units_float.h5", m, editLayerConfig("d1", [](json& l) { l["config"]["units"] = 1e300; })),
            {"'d1'", "units"});
        expectError(
            editedKeras("units_negative.h5", m, editLayerConfig("d1", [](json& l) { l["config"]["units"] = -3; })),
            {"'d1'"});
        expectError(editedKeras("input_huge.h5", m,
                                editLayerConfig(
                                    "in",
                                    [](json& l) {
                                        l["config"]["batch_input_shape"] = {nullptr, 100000000000LL, 100000000000LL};
                                    })),
                    {"'in'"});
        expectError(editedKeras("input_null.h5", m,
                                editLayerConfig("in",
                                                [](json& l) {
                                                    l["config"]["batch_input_shape"] = {nullptr, nullptr};
                                                })),
                    {"'in'", "null"});
    }

    void nanWeights()
    {
        ModelSpec m = test::mlpSpec();
        m.find("d2")->kernel[5] = std::numeric_limits<float>::quiet_NaN();
        const auto path = test::tempDir() / "nan.h5";
        writeKerasH5(m, path);
        expectError(path, {"'d2'", "NaN"});
        m = test::mlpSpec();
        m.find("out")->bias[1] = std::numeric_limits<float>::infinity();
        writeNativeModel(m, test::tempDir() / "inf.circnn.h5");
        expectError(test::tempDir() / "inf.circnn.h5", {"'out'", "NaN or infinite"});
    }

    void unsupportedAttentionOptions()
    {
        // Input(4, 6) → MultiHeadAttention(self): what the runtime does not model is named.
        ModelSpec m;
        m.name = "attention";
        m.layers.push_back(test::inputLayer("in", {4, 6}));
        LayerSpec a;
        a.kind = LayerKind::MultiHeadAttention;
        a.name = "mha";
        a.inputs = {"in", "in"};
        a.numHeads = 2;
        a.keyDim = a.valueDim = 3;
        Tensor* kernels[4] = {&a.queryKernel, &a.keyKernel, &a.valueKernel, &a.outputKernel};
        Tensor* biases[4] = {&a.queryBias, &a.keyBias, &a.valueBias, &a.outputBias};
        for (std::uint32_t p = 0; p < 4; ++p) {
            *kernels[p] = test::randomTensor(p == 3 ? Shape{2, 3, 6} : Shape{6, 2, 3}, 60 + p);
            *biases[p] = test::randomTensor(p == 3 ? Shape{6} : Shape{2, 3}, 70 + p);
        }
        m.layers.push_back(a);
        m.inputs = {"in"};
        m.outputs = {"mha"};
        QVERIFY(readModel(editedKeras("attention_ok.h5", m, [](h5::File&) {})).find("mha")); // the baseline reads
        const auto edit = [&](const char* name, const std::function<void(json&)>& fn,
                              const std::vector<std::string>& needles) {
            expectError(editedKeras(name, m, editLayerConfig("mha", fn)), needles);
        };
        edit("attention_axes.h5", [](json& l) { l["config"]["attention_axes"] = json::array({2}); },
             {"'mha'", "attention_axes"});
        edit("attention_output_shape.h5",
             [](json& l) {
                 l["config"]["output_shape"] = json::array({3, 2});
             },
             {"'mha'", "output_shape"});
        edit("attention_mask.h5",
             [](json& l) {
                 l["inbound_nodes"][0][0][3]["attention_mask"] = {"in", 0, 0};
             },
             {"'mha'", "attention_mask"});
        edit("attention_scores.h5", [](json& l) { l["inbound_nodes"][0][0][3]["return_attention_scores"] = true; },
             {"'mha'", "return_attention_scores"});
        edit("attention_no_value.h5", [](json& l) { l["inbound_nodes"][0][0][3].erase("value"); },
             {"'mha'", "a query and a value"});
    }

    void unsupportedConfigurations()
    {
        const ModelSpec mlp = test::mlpSpec();
        const ModelSpec cnn = test::branchySpec();
        expectError(editedKeras("unknown_class.h5", mlp,
                                editLayerConfig("d1", [](json& l) { l["class_name"] = "ConvLSTM2D"; })),
                    {"'d1'", "ConvLSTM2D", "Dense, Conv2D"});
        // Every unsupported layer is listed at once, with its name and class.
        expectError(editedKeras("two_unknown.h5", mlp,
                                [](h5::File& f) {
                                    editLayerConfig("d1", [](json& l) { l["class_name"] = "ConvLSTM2D"; })(f);
                                    editLayerConfig("d2", [](json& l) { l["class_name"] = "AdditiveAttention"; })(f);
                                }),
                    {"2 layers", "'d1' (ConvLSTM2D)", "'d2' (AdditiveAttention)", "AdditiveAttention, ConvLSTM2D",
                     "Dense, Conv2D"});
        // Bidirectional: around a recurrent layer only, and with one output (merge_mode not None).
        const auto wrap = [](json inner, json mergeMode) {
            return editLayerConfig("d1", [inner, mergeMode](json& l) {
                const json wrapped =
                    inner.is_null() ? json{{"class_name", l["class_name"]}, {"config", l["config"]}} : inner;
                l["class_name"] = "Bidirectional";
                l["config"] = {{"name", "d1"}, {"layer", wrapped}, {"merge_mode", mergeMode}};
            });
        };
        expectError(editedKeras("bidi_dense.h5", mlp, wrap(nullptr, "concat")),
                    {"'d1'", "Bidirectional", "Dense", "SimpleRNN, LSTM and GRU"});
        const json lstm = {{"class_name", "LSTM"}, {"config", {{"name", "lstm"}, {"units", 4}}}};
        expectError(editedKeras("bidi_none.h5", mlp, wrap(lstm, nullptr)), {"'d1'", "merge_mode None"});
        expectError(editedKeras("bidi_bad_mode.h5", mlp, wrap(lstm, "max")), {"'d1'", "unknown merge_mode 'max'"});
        expectError(editedKeras("bad_activation.h5", mlp,
                                editLayerConfig("d1", [](json& l) { l["config"]["activation"] = "mish"; })),
                    {"'d1'", "mish", "relu"});
        expectError(editedKeras("groups.h5", cnn, editLayerConfig("conv", [](json& l) { l["config"]["groups"] = 2; })),
                    {"'conv'", "groups"});
        expectError(
            editedKeras("channels_first.h5", cnn,
                        editLayerConfig("conv", [](json& l) { l["config"]["data_format"] = "channels_first"; })),
            {"'conv'", "channels_first"});
        expectError(editedKeras("bad_json.h5", mlp, [](h5::File& f) { setModelConfig(f, "{\"class_name\": \"Seq"); }),
                    {"model_config", "JSON"});
        expectError(editedKeras("keras1.h5", mlp, [](h5::File& f) { H5Adelete(f.id(), "keras_version"); }),
                    {"Keras 1"});
        expectError(editedKeras("unknown_input.h5", cnn,
                                editLayerConfig("add", [](json& l) { l["inbound_nodes"][0][1][0] = "ghost"; })),
                    {"'add'"});
        expectError(editedKeras("model_class.h5", mlp,
                                [](h5::File& f) {
                                    json c = modelConfig(f);
                                    c["class_name"] = "Graph";
                                    setModelConfig(f, c.dump());
                                }),
                    {"Graph"});
        expectError(editedKeras("config_not_object.h5", mlp, [](h5::File& f) { setModelConfig(f, "[1, 2, 3]"); }),
                    {"configuration"});
    }

    void weightsOnlySynthetic()
    {
        const auto path = test::tempDir() / "weights_only.h5";
        {
            h5::File f = h5::createFile(path.string());
            h5::writeString(f, f.id(), "keras_version", "2.2.2");
            h5::writeString(f, f.id(), "backend", "tensorflow");
            h5::writeStrings(f, f.id(), "layer_names", {"dense_1"}, true);
            h5::writeFloatDataset(f, f.id(), "dense_1/dense_1/kernel:0", Tensor(Shape{4, 2}));
        }
        expectError(path, {"weights-only file, no architecture"});
        const auto k3 = test::tempDir() / "model.weights.h5";
        {
            h5::File f = h5::createFile(k3.string());
            h5::writeFloatDataset(f, f.id(), "layers/dense/vars/0", Tensor(Shape{4, 2}));
        }
        expectError(k3, {"weights-only file, no architecture"});
        const auto empty = test::tempDir() / "empty_hdf5.h5";
        {
            h5::File f = h5::createFile(empty.string());
        }
        expectError(empty, {"model_config"});
    }
};

QTEST_APPLESS_MAIN(TestMalformedModels)
#include "TestMalformedModels.moc"
