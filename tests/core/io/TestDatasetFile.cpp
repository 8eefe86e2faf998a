// Datasets: IDX (raw and gzip), HDF5 and NumPy .npz written here byte by byte, the real MNIST
// test set in ../shared, fitDatasetToInput, and malformed inputs.

#include <QTest>

#include <zip.h>
#include <zlib.h>

#include <fstream>
#include <random>

#include "TestSupport.h"
#include "common/Error.h"
#include "common/MemoryBudget.h"
#include "io/DatasetFile.h"
#include "io/Hdf5.h"

using namespace circnn;

namespace {

std::string bigEndian32(std::uint32_t v)
{
    return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

std::string idxBytes(const std::vector<std::uint32_t>& dims, const std::vector<std::uint8_t>& data)
{
    std::string s{'\0', '\0', '\x08', static_cast<char>(dims.size())};
    for (auto d : dims)
        s += bigEndian32(d);
    s.append(reinterpret_cast<const char*>(data.data()), data.size());
    return s;
}

void writeRaw(const std::filesystem::path& p, const std::string& bytes)
{
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

void writeGz(const std::filesystem::path& p, const std::string& bytes)
{
    gzFile f = gzopen(p.c_str(), "wb");
    QVERIFY(f);
    QCOMPARE(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())), int(bytes.size()));
    gzclose(f);
}

// A .npy v1.0 array.
std::string npy(const std::string& descr, const std::vector<std::int64_t>& shape, const std::string& payload,
                bool fortran = false)
{
    std::string shapeText = "(";
    for (auto d : shape)
        shapeText += std::to_string(d) + ", ";
    if (shape.size() > 1)
        shapeText.resize(shapeText.size() - 2);
    shapeText += ")";
    std::string header = "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") +
                         ", 'shape': " + shapeText + ", }";
    while ((10 + header.size() + 1) % 64)
        header += ' ';
    header += '\n';
    std::string s = "\x93NUMPY";
    s += '\x01';
    s += '\x00';
    s += static_cast<char>(header.size() & 0xff);
    s += static_cast<char>(header.size() >> 8);
    return s + header + payload;
}

void writeNpz(const std::filesystem::path& p, const std::vector<std::pair<std::string, std::string>>& members)
{
    int err = 0;
    zip_t* z = zip_open(p.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
    QVERIFY(z);
    for (const auto& [name, data] : members) {
        zip_source_t* s = zip_source_buffer(z, data.data(), data.size(), 0);
        QVERIFY(zip_file_add(z, name.c_str(), s, ZIP_FL_OVERWRITE) >= 0);
    }
    QVERIFY(zip_close(z) == 0);
}

template <class T> std::string bytesOf(const std::vector<T>& v)
{
    return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

std::vector<std::uint8_t> pixels(std::size_t n, std::uint32_t seed)
{
    std::mt19937 rng(seed);
    std::vector<std::uint8_t> v(n);
    for (auto& x : v)
        x = static_cast<std::uint8_t>(rng() & 0xff);
    return v;
}

void expectFormatError(const std::filesystem::path& p, const std::string& needle, const DatasetOptions& o = {})
{
    try {
        readDataset(p, o);
    } catch (const Error& e) {
        const std::string msg = e.what();
        QVERIFY2(msg.find(needle) != std::string::npos, msg.c_str());
        return;
    }
    QFAIL(("accepted " + p.string()).c_str());
}

} // namespace

class TestDatasetFile : public QObject {
    Q_OBJECT

private slots:
    void idxRawAndGz_data()
    {
        QTest::addColumn<bool>("gz");
        QTest::newRow("raw") << false;
        QTest::newRow("gzip") << true;
    }

    void idxRawAndGz()
    {
        QFETCH(bool, gz);
        const auto dir = test::tempDir();
        const std::string suffix = gz ? ".gz" : "";
        const auto img = pixels(7 * 5 * 4, 3);
        std::vector<std::uint8_t> lab{3, 1, 4, 1, 5, 9, 2};
        const auto imagesPath = dir / ("tiny-images-idx3-ubyte" + suffix);
        (gz ? writeGz : writeRaw)(imagesPath, idxBytes({7, 5, 4}, img));
        (gz ? writeGz : writeRaw)(dir / ("tiny-labels-idx1-ubyte" + suffix), idxBytes({7}, lab));
        const Dataset d = readDataset(imagesPath); // labels path derived from the name
        QCOMPARE(d.images.shape(), (Shape{7, 5, 4}));
        QCOMPARE(d.classCount, std::int64_t(10));
        for (std::size_t i = 0; i < img.size(); ++i)
            QCOMPARE(d.images[std::int64_t(i)], static_cast<float>(img[i] * (1.0 / 255.0)));
        QVERIFY(d.labels == std::vector<std::int32_t>(lab.begin(), lab.end()));

        DatasetOptions o;
        o.limit = 3;
        o.scale = 1.0;
        o.labelsPath = dir / ("tiny-labels-idx1-ubyte" + suffix);
        const Dataset l = readDataset(imagesPath, o);
        QCOMPARE(l.count(), std::int64_t(3));
        QCOMPARE(l.images[5], float(img[5]));
        QCOMPARE(l.labels.size(), std::size_t(3));
    }

    void idxMalformed()
    {
        const auto dir = test::tempDir();
        const std::string good = idxBytes({10, 4, 4}, pixels(160, 1));
        writeGz(dir / "trunc-images-idx3-ubyte.gz", good.substr(0, 100));
        writeGz(dir / "trunc-labels-idx1-ubyte.gz", idxBytes({10}, std::vector<std::uint8_t>(10, 1)));
        expectFormatError(dir / "trunc-images-idx3-ubyte.gz", "truncated");
        writeRaw(dir / "count-images-idx3-ubyte", good);
        writeRaw(dir / "count-labels-idx1-ubyte", idxBytes({9}, std::vector<std::uint8_t>(9, 1)));
        expectFormatError(dir / "count-images-idx3-ubyte", "labels");
        writeRaw(dir / "huge-images-idx3-ubyte", idxBytes({0xffffffff, 0xffffff, 0xffff}, {}));
        expectFormatError(dir / "huge-images-idx3-ubyte", "too large");
        // A header claiming 1.6 G pixels in a tiny file: fails on the truncation, without
        // allocating for the claim.
        writeGz(dir / "claim-images-idx3-ubyte.gz", idxBytes({40000, 200, 200}, pixels(5000, 2)));
        writeGz(dir / "claim-labels-idx1-ubyte.gz", idxBytes({40000}, std::vector<std::uint8_t>(40000, 1)));
        // Within the memory budget (set above the claim here, whatever this machine's memory).
        setMemoryLimitBytes(std::int64_t(64) << 30);
        expectFormatError(dir / "claim-images-idx3-ubyte.gz", "truncated");
        // Beyond the budget: refused from the header alone, with the size it would need.
        setMemoryLimitBytes(std::int64_t(1) << 30);
        expectFormatError(dir / "claim-images-idx3-ubyte.gz", "needs 11.9 GiB, more than the memory limit of 1.0 GiB");
        setMemoryLimitBytes(0);
        writeRaw(dir / "nolabels-images-idx3-ubyte", good);
        expectFormatError(dir / "nolabels-images-idx3-ubyte", "nolabels-labels-idx1-ubyte");
        writeRaw(dir / "garbage.bin", "this is not a dataset at all");
        expectFormatError(dir / "garbage.bin", "garbage.bin");
    }

    void hdf5RoundTripAndKeys()
    {
        Dataset d;
        d.name = "synthetic";
        d.images = Tensor(Shape{6, 3, 2});
        const auto v = test::randomVector(36, 5, 0.0f, 1.0f);
        for (std::int64_t i = 0; i < 36; ++i)
            d.images[i] = v[std::size_t(i)];
        d.labels = {0, 2, 1, 2, 0, 1};
        const auto path = test::tempDir() / "ds_float.h5";
        writeDatasetH5(d, path);
        const Dataset back = readDataset(path);
        QVERIFY(back.images == d.images); // float data is taken as is
        QVERIFY(back.labels == d.labels);
        QCOMPARE(back.classCount, std::int64_t(3));

        const auto u8 = test::tempDir() / "ds_uint8.h5";
        writeDatasetH5(d, u8, /*asUint8=*/true);
        const Dataset backU8 = readDataset(u8);
        for (std::int64_t i = 0; i < 36; ++i)
            QVERIFY(std::abs(backU8.images[i] - d.images[i]) <= 0.5f / 255.0f + 1e-6f);

        DatasetOptions wrong;
        wrong.imagesKey = "pixels";
        expectFormatError(path, "pixels", wrong);
    }

    void npzArchives()
    {
        const auto dir = test::tempDir();
        const auto img = pixels(4 * 3 * 3, 8);
        const std::string imgBytes(img.begin(), img.end());
        const std::string labels{'\x01', '\x00', '\x03', '\x02'};
        writeNpz(dir / "mnist_like.npz", {{"x_train.npy", npy("|u1", {2, 3, 3}, imgBytes.substr(0, 18))},
                                          {"y_train.npy", npy("|u1", {2}, labels.substr(0, 2))},
                                          {"x_test.npy", npy("|u1", {4, 3, 3}, imgBytes)},
                                          {"y_test.npy", npy("|u1", {4}, labels)}});
        const Dataset d = readDataset(dir / "mnist_like.npz"); // x / y absent: x_test / y_test
        QCOMPARE(d.images.shape(), (Shape{4, 3, 3}));
        QCOMPARE(d.images[7], static_cast<float>(img[7] * (1.0 / 255.0)));
        QVERIFY(d.labels == (std::vector<std::int32_t>{1, 0, 3, 2}));

        DatasetOptions train;
        train.imagesKey = "x_train";
        train.labelsKey = "y_train";
        QCOMPARE(readDataset(dir / "mnist_like.npz", train).count(), std::int64_t(2));

        std::vector<float> f{0.25f, -1.5f, 3.0f, 0.125f};
        const std::string fBytes(reinterpret_cast<const char*>(f.data()), 16);
        std::vector<std::int64_t> l64{4, 0};
        const std::string lBytes(reinterpret_cast<const char*>(l64.data()), 16);
        writeNpz(dir / "float.npz", {{"x.npy", npy("<f4", {2, 2}, fBytes)}, {"y.npy", npy("<i8", {2}, lBytes)}});
        const Dataset fd = readDataset(dir / "float.npz");
        QCOMPARE(fd.images[1], -1.5f); // float data is not scaled
        QVERIFY(fd.labels == (std::vector<std::int32_t>{4, 0}));

        writeNpz(dir / "fortran.npz",
                 {{"x.npy", npy("<f4", {2, 2}, fBytes, true)}, {"y.npy", npy("<i8", {2}, lBytes)}});
        expectFormatError(dir / "fortran.npz", "Fortran");
        writeNpz(dir / "bigendian.npz", {{"x.npy", npy(">f4", {2, 2}, fBytes)}, {"y.npy", npy("<i8", {2}, lBytes)}});
        expectFormatError(dir / "bigendian.npz", "big-endian");
        writeNpz(dir / "short.npz", {{"x.npy", npy("<f4", {2, 3}, fBytes)}, {"y.npy", npy("<i8", {2}, lBytes)}});
        expectFormatError(dir / "short.npz", "truncated");
        writeNpz(dir / "nolabels.npz", {{"x.npy", npy("<f4", {2, 2}, fBytes)}});
        expectFormatError(dir / "nolabels.npz", "labels");
        writeNpz(dir / "negative.npz",
                 {{"x.npy", npy("<f4", {2, 2}, fBytes)}, {"y.npy", npy("<f4", {2}, fBytes.substr(4, 8))}});
        expectFormatError(dir / "negative.npz", "label");
    }

    // Token ids: kept as they are when the file marks them (npz member token_ids.npy, scalar or
    // one-element) or --integers ids says so; scaled like pixels otherwise. Padding from lengths.
    void sequenceTokenIds()
    {
        const auto dir = test::tempDir();
        // 3 samples × 5 steps; the steps after each length hold junk that must become padding.
        const std::vector<std::int32_t> ids{3, 7, 1, 9, 9, 2, 2, 2, 2, 2, 11, 9, 9, 9, 9};
        const std::vector<std::int32_t> lengths{3, 5, 1};
        const std::vector<std::int32_t> labels{0, 1, 0}, one{1};
        const auto x = npy("<i4", {3, 5}, bytesOf(ids)), y = npy("<i4", {3}, bytesOf(labels));
        const auto len = npy("<i4", {3}, bytesOf(lengths));
        const std::vector<std::int32_t> expected{3, 7, 1, 0, 0, 2, 2, 2, 2, 2, 11, 0, 0, 0, 0};
        auto check = [&](const Dataset& d, float scale) {
            QCOMPARE(d.images.shape(), (Shape{3, 5}));
            for (std::int64_t i = 0; i < 15; ++i)
                QCOMPARE(d.images[i], static_cast<float>(expected[std::size_t(i)]) * scale);
        };
        // Marked with a one-element array, and with a 0-d array (np.savez(token_ids=1)).
        writeNpz(dir / "marked.npz",
                 {{"x.npy", x}, {"y.npy", y}, {"lengths.npy", len}, {"token_ids.npy", npy("<i4", {1}, bytesOf(one))}});
        check(readDataset(dir / "marked.npz"), 1.0f);
        writeNpz(dir / "scalar.npz", {{"x.npy", x},
                                      {"y.npy", y},
                                      {"lengths.npy", len},
                                      {"token_ids.npy", npy("<i8", {}, bytesOf(std::vector<std::int64_t>{1}))}});
        check(readDataset(dir / "scalar.npz"), 1.0f);
        // Unmarked: pixels unless the option says ids; the option also overrides the mark.
        writeNpz(dir / "plain.npz", {{"x.npy", x}, {"y.npy", y}, {"lengths.npy", len}});
        check(readDataset(dir / "plain.npz"), 1.0f / 255.0f);
        DatasetOptions ids_;
        ids_.integerValues = IntegerValues::TokenIds;
        check(readDataset(dir / "plain.npz", ids_), 1.0f);
        DatasetOptions pixels_;
        pixels_.integerValues = IntegerValues::Pixels;
        check(readDataset(dir / "marked.npz", pixels_), 1.0f / 255.0f);
        // The lengths are cut with --limit like the samples; an empty key ignores them.
        ids_.limit = 2;
        QCOMPARE(readDataset(dir / "plain.npz", ids_).count(), std::int64_t(2));
        ids_.limit = 0;
        ids_.lengthsKey.clear();
        QCOMPARE(readDataset(dir / "plain.npz", ids_).images[3], 9.0f);
        // A mark of 0 means pixels.
        const std::vector<std::int32_t> zero{0};
        writeNpz(dir / "unmarked.npz", {{"x.npy", x}, {"y.npy", y}, {"token_ids.npy", npy("<i4", {1}, bytesOf(zero))}});
        QCOMPARE(readDataset(dir / "unmarked.npz").images[0], 3.0f / 255.0f);
        QCOMPARE(parseIntegerValues("ids"), IntegerValues::TokenIds);
        QCOMPARE(parseIntegerValues(integerValuesName(IntegerValues::Pixels)), IntegerValues::Pixels);
        QVERIFY_THROWS_EXCEPTION(Error, parseIntegerValues("bytes"));
    }

    // Float frames (N, steps, features) with a 0/1 mask: masked frames become zero frames.
    void sequenceFramesWithMask()
    {
        const auto dir = test::tempDir();
        std::vector<float> frames(2 * 3 * 2);
        for (std::size_t i = 0; i < frames.size(); ++i)
            frames[i] = 0.5f + float(i);
        const std::vector<float> mask{1, 0, 1, 1, 1, 0};
        const std::vector<std::int32_t> labels{1, 0};
        writeNpz(dir / "frames.npz", {{"x.npy", npy("<f4", {2, 3, 2}, bytesOf(frames))},
                                      {"y.npy", npy("<i4", {2}, bytesOf(labels))},
                                      {"mask.npy", npy("<f4", {2, 3}, bytesOf(mask))}});
        const Dataset d = readDataset(dir / "frames.npz");
        QCOMPARE(d.images.shape(), (Shape{2, 3, 2}));
        for (std::int64_t i = 0; i < 12; ++i)
            QCOMPARE(d.images[i], mask[std::size_t(i / 2)] != 0 ? frames[std::size_t(i)] : 0.0f);
    }

    // HDF5 (through the isolated reader when isolation is on): the token_ids attribute on the
    // images dataset, and a mask dataset.
    void sequenceHdf5()
    {
        const auto path = test::tempDir() / "tokens.h5";
        const std::vector<std::int32_t> ids{4, 5, 6, 1, 2, 3}, labels{1, 0};
        const std::vector<std::uint8_t> mask{1, 1, 0, 1, 0, 0};
        for (const bool marked : {true, false}) {
            {
                h5::File f = h5::createInMemory(path.string());
                h5::writeRawDataset(f, f.id(), "x", H5T_NATIVE_INT32, H5T_STD_I32LE, {2, 3}, ids.data());
                h5::writeRawDataset(f, f.id(), "y", H5T_NATIVE_INT32, H5T_STD_I32LE, {2}, labels.data());
                h5::writeRawDataset(f, f.id(), "mask", H5T_NATIVE_UINT8, H5T_STD_U8LE, {2, 3}, mask.data());
                if (marked) {
                    const h5::Handle x = h5::openDataset(f, f.id(), "x");
                    h5::writeIntAttr(f, x.id(), kTokenIdsMark, 1);
                }
                h5::commitImage(f, path);
            }
            const Dataset d = readDataset(path);
            const float scale = marked ? 1.0f : 1.0f / 255.0f;
            for (std::int64_t i = 0; i < 6; ++i)
                QCOMPARE(d.images[i], mask[std::size_t(i)] ? float(ids[std::size_t(i)]) * scale : 0.0f);
            DatasetOptions o;
            o.integerValues = IntegerValues::TokenIds;
            o.maskKey.clear();
            QCOMPARE(readDataset(path, o).images[2], 6.0f);
        }
    }

    void sequenceMalformed()
    {
        const auto dir = test::tempDir();
        const std::vector<std::int32_t> ids{1, 2, 3, 4, 5, 6}, labels{0, 1}, lengths{2, 4}, mask{1, 2, 0, 1, 1, 1};
        const auto x = npy("<i4", {2, 3}, bytesOf(ids)), y = npy("<i4", {2}, bytesOf(labels));
        writeNpz(dir / "long.npz", {{"x.npy", x}, {"y.npy", y}, {"lengths.npy", npy("<i4", {2}, bytesOf(lengths))}});
        expectFormatError(dir / "long.npz", "'lengths' of sample 1 is 4");
        writeNpz(dir / "shape.npz",
                 {{"x.npy", x}, {"y.npy", y}, {"lengths.npy", npy("<i4", {1, 2}, bytesOf(lengths))}});
        expectFormatError(dir / "shape.npz", "expected (2,) (one length per sample)");
        writeNpz(dir / "mask.npz", {{"x.npy", x}, {"y.npy", y}, {"mask.npy", npy("<i4", {2, 3}, bytesOf(mask))}});
        expectFormatError(dir / "mask.npz", "'mask' of sample 0, step 1 is 2");
        writeNpz(dir / "both.npz", {{"x.npy", x},
                                    {"y.npy", y},
                                    {"mask.npy", npy("<i4", {2, 3}, bytesOf(ids))},
                                    {"lengths.npy", npy("<i4", {2}, bytesOf(labels))}});
        expectFormatError(dir / "both.npz", "both 'lengths' (lengths) and 'mask' (mask)");
        const std::vector<std::int32_t> flat{1, 2};
        writeNpz(
            dir / "flat.npz",
            {{"x.npy", npy("<i4", {2}, bytesOf(flat))}, {"y.npy", y}, {"lengths.npy", npy("<i4", {2}, bytesOf(flat))}});
        expectFormatError(dir / "flat.npz", "describes sequence padding");
        const std::vector<std::int32_t> negative{1, -2, 3, 4, 5, 6}, two{1, 1};
        writeNpz(dir / "negative.npz", {{"x.npy", npy("<i4", {2, 3}, bytesOf(negative))},
                                        {"y.npy", y},
                                        {"token_ids.npy", npy("<i4", {1}, bytesOf(std::vector<std::int32_t>{1}))}});
        expectFormatError(dir / "negative.npz", "token id -2.000000 at sample 0, position 1");
        writeNpz(dir / "mark.npz", {{"x.npy", x}, {"y.npy", y}, {"token_ids.npy", npy("<i4", {2}, bytesOf(two))}});
        expectFormatError(dir / "mark.npz", "must hold one integer");
    }

    void fitToInput()
    {
        Dataset d;
        d.name = "fit";
        d.images = Tensor(Shape{5, 28, 28});
        d.labels.assign(5, 0);
        fitDatasetToInput(d, {784});
        QCOMPARE(d.images.shape(), (Shape{5, 784}));
        fitDatasetToInput(d, {28, 28, 1});
        QCOMPARE(d.images.shape(), (Shape{5, 28, 28, 1}));
        try {
            fitDatasetToInput(d, {32, 32, 3});
            QFAIL("mismatch accepted");
        } catch (const ShapeError& e) {
            const std::string msg = e.what();
            QVERIFY2(msg.find("(28, 28, 1)") != std::string::npos && msg.find("(32, 32, 3)") != std::string::npos,
                     e.what());
        }
    }

    void realMnist()
    {
        CIRCNN_REQUIRE_SHARED();
        const auto path = test::sharedDir() / "data/mnist/t10k-images-idx3-ubyte.gz";
        const Dataset d = readDataset(path);
        QCOMPARE(d.images.shape(), (Shape{10000, 28, 28}));
        QCOMPARE(d.classCount, std::int64_t(10));
        QCOMPARE(d.labels[0], 7); // the well-known first test digit
        QCOMPARE(d.labels[1], 2);
        float lo = 1, hi = 0;
        for (std::int64_t i = 0; i < d.images.size(); ++i) {
            lo = std::min(lo, d.images[i]);
            hi = std::max(hi, d.images[i]);
        }
        QCOMPARE(lo, 0.0f);
        QCOMPARE(hi, 1.0f);
        std::vector<int> counts(10, 0);
        for (auto l : d.labels)
            ++counts[std::size_t(l)];
        QCOMPARE(counts[1], 1135); // MNIST t10k class counts
        QCOMPARE(counts[5], 892);
    }
};

QTEST_APPLESS_MAIN(TestDatasetFile)
#include "TestDatasetFile.moc"
