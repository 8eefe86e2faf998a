#include "io/Transfer.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "common/Error.h"
#include "common/MemoryBudget.h"
#include "io/NativeFormat.h"
#include "model/JsonIntegers.h"
#include "model/LayerTraits.h"

namespace circnn::transfer {

using nlohmann::json;

namespace {

constexpr char kMagic[16] = "CIRCNN-XFER-1\n";
constexpr std::size_t kAlign = 64;

std::size_t aligned(std::size_t n)
{
    return (n + kAlign - 1) / kAlign * kAlign;
}

void writeAll(int fd, const void* p, std::size_t n)
{
    const char* c = static_cast<const char*>(p);
    while (n > 0) {
        const ssize_t w = ::write(fd, c, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            throw Error(std::string("isolated reader: cannot write its result: ") + std::strerror(errno));
        c += w;
        n -= static_cast<std::size_t>(w);
    }
}

void writePadding(int fd, std::size_t n)
{
    static const char zeros[kAlign] = {};
    writeAll(fd, zeros, n);
}

// One data block of a message: bytes to write after the header.
struct Block {
    const void* data;
    std::size_t bytes;
};

// Header (with offsets already filled in by the caller, relative to the data start), then blocks.
void writeMessage(int fd, const json& header, const std::vector<Block>& blocks)
{
    const std::string text = header.dump();
    const std::uint64_t len = text.size();
    unsigned char lenBytes[8];
    for (int i = 0; i < 8; ++i)
        lenBytes[i] = static_cast<unsigned char>(len >> (8 * i));
    writeAll(fd, kMagic, sizeof kMagic);
    writeAll(fd, lenBytes, 8);
    writeAll(fd, text.data(), text.size());
    const std::size_t headEnd = sizeof kMagic + 8 + text.size();
    writePadding(fd, aligned(headEnd) - headEnd);
    for (const Block& b : blocks) {
        writeAll(fd, b.data, b.bytes);
        writePadding(fd, aligned(b.bytes) - b.bytes);
    }
}

// A parsed message: the header and the data section.
struct Message {
    json header;
    const char* data = nullptr;
    std::size_t size = 0;
};

[[noreturn]] void bad(const std::string& source, const std::string& what)
{
    throw FormatError(source + ": the isolated reader's result is malformed (" + what + ")");
}

Message parseMessage(const char* bytes, std::size_t size, const std::string& source, const char* expectedKind)
{
    if (size < sizeof kMagic + 8 || std::memcmp(bytes, kMagic, sizeof kMagic) != 0)
        bad(source, "no result or wrong magic");
    std::uint64_t len = 0;
    for (int i = 7; i >= 0; --i)
        len = (len << 8) | static_cast<unsigned char>(bytes[sizeof kMagic + static_cast<std::size_t>(i)]);
    const std::size_t headStart = sizeof kMagic + 8;
    if (len > size - headStart)
        bad(source, "header longer than the message");
    Message m;
    try {
        m.header = json::parse(bytes + headStart, bytes + headStart + len);
    } catch (const json::exception& e) {
        bad(source, std::string("header: ") + e.what());
    }
    if (!m.header.is_object() || !m.header.contains("kind") || !m.header["kind"].is_string())
        bad(source, "header without kind");
    const std::string kind = m.header["kind"];
    if (kind == "error") {
        const auto text = [&](const char* key, const char* def) {
            const auto it = m.header.find(key);
            return it != m.header.end() && it->is_string() ? it->get<std::string>() : std::string(def);
        };
        const std::string type = text("type", "error");
        const std::string message = text("message", "unknown error");
        if (type == "format")
            throw FormatError(message);
        if (type == "shape")
            throw ShapeError(message);
        throw Error(message);
    }
    if (kind != expectedKind)
        bad(source, "expected a " + std::string(expectedKind) + ", got '" + kind + "'");
    const std::size_t dataStart = aligned(headStart + static_cast<std::size_t>(len));
    m.data = bytes + std::min(dataStart, size);
    m.size = dataStart <= size ? size - dataStart : 0;
    return m;
}

// Checks shape and offset of one block and returns its element count.
std::int64_t checkBlock(const Message& m, const json& shapeJson, const json& offsetJson, std::size_t elemBytes,
                        const std::string& source, Shape& shape, std::size_t& offset)
{
    try {
        shape = json_integers::get<Shape>(shapeJson);
        offset = json_integers::get<std::size_t>(offsetJson);
    } catch (const json::exception& e) {
        bad(source, e.what());
    }
    std::int64_t n = 1;
    for (auto d : shape) {
        if (d < 0)
            bad(source, "negative dimension");
        n = saturatingMultiply(n, d);
    }
    const std::int64_t bytes = saturatingMultiply(n, static_cast<std::int64_t>(elemBytes));
    if (n < 0 || bytes < 0 || offset % kAlign != 0 || offset > m.size ||
        static_cast<std::uint64_t>(bytes) > m.size - offset)
        bad(source, "a block lies outside the data");
    return n;
}

} // namespace

const char* formatTag(ModelFormat format)
{
    switch (format) {
    case ModelFormat::KerasH5:
        return "keras-h5";
    case ModelFormat::KerasZip:
        return "keras-zip";
    case ModelFormat::Native:
        return "native";
    }
    return "native";
}

ModelFormat formatFromTag(const std::string& tag, const std::string& source)
{
    if (tag == "keras-h5")
        return ModelFormat::KerasH5;
    if (tag == "keras-zip")
        return ModelFormat::KerasZip;
    if (tag == "native")
        return ModelFormat::Native;
    bad(source, "unknown format '" + tag + "'");
}

namespace {

// memcpy of a block of the message; an empty block (an empty label list, a zero-sized tensor) copies
// nothing, and its destination may be null, which memcpy does not allow.
void copyBlock(void* destination, const char* source, std::size_t bytes)
{
    if (bytes != 0)
        std::memcpy(destination, source, bytes);
}

json fileIdentity(const struct stat& st)
{
    return {{"dev", static_cast<std::uint64_t>(st.st_dev)},
            {"ino", static_cast<std::uint64_t>(st.st_ino)},
            {"size", static_cast<std::int64_t>(st.st_size)},
            {"mtime_ns", static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec}};
}

// The tensor of `spec` a transfer entry names (FormatError for an unknown layer or role).
Tensor& tensorFor(ModelSpec& spec, const json& entry, const std::string& source)
{
    const auto layer = json_integers::get<std::size_t>(entry.at("layer"));
    const std::string role = entry.at("role").get<std::string>();
    if (layer >= spec.layers.size())
        bad(source, "tensor of a layer that does not exist");
    LayerSpec& l = spec.layers[layer];
    if (role == "vectors" && l.circulant)
        return l.circulant->vectors;
    if (role == "recurrent_vectors" && l.recurrentCirculant)
        return l.recurrentCirculant->vectors;
    for (std::size_t p = 0; p < l.attentionCirculant.size(); ++p)
        if (l.attentionCirculant[p] && role == attentionVectorsKey(p))
            return l.attentionCirculant[p]->vectors;
    if (const auto r = weightRoleFromName(role))
        return weightTensor(l, *r);
    bad(source, "unknown tensor role '" + role + "'");
}

// Reads the tensors the child left in the model file, from the parent's own descriptor.
void readFileTensors(const Message& m, ModelSpec& spec, int modelFd, const std::string& source)
{
    if (modelFd < 0)
        bad(source, "tensors left in the file, but no file to read them from");
    struct stat st {};
    if (::fstat(modelFd, &st) != 0)
        throw FormatError(source + ": cannot read it again: " + std::strerror(errno));
    if (m.header.at("file") != fileIdentity(st))
        throw FormatError(source + ": the file changed while it was being read; open it again");
    for (const auto& t : m.header.at("file_tensors")) {
        Tensor& target = tensorFor(spec, t, source);
        const Shape shape = json_integers::get<Shape>(t.at("shape"));
        const auto offset = json_integers::get<std::uint64_t>(t.at("file_offset"));
        std::int64_t n = 1;
        for (auto d : shape)
            n = d < 0 ? -1 : saturatingMultiply(n, d);
        const std::int64_t bytes = saturatingMultiply(n, 4);
        if (n < 0 || bytes < 0 || offset > static_cast<std::uint64_t>(st.st_size) ||
            static_cast<std::uint64_t>(bytes) > static_cast<std::uint64_t>(st.st_size) - offset)
            bad(source, "a tensor lies outside the file");
        const LayerSpec& l = spec.layers[json_integers::get<std::size_t>(t.at("layer"))];
        checkMemoryBudget(bytes, source + ": layer '" + l.name + "' " + t.at("role").get<std::string>());
        target = Tensor(shape);
        char* p = reinterpret_cast<char*>(target.data());
        for (std::size_t done = 0; done < static_cast<std::size_t>(bytes);) {
            const ssize_t r =
                ::pread(modelFd, p + done, static_cast<std::size_t>(bytes) - done, static_cast<off_t>(offset + done));
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                throw FormatError(source + ": layer '" + l.name + "': cannot read its weights (file cut short?)");
            done += static_cast<std::size_t>(r);
        }
        // The child did not look at these values: the native reader's check, here.
        for (std::int64_t e = 0; e < n; ++e)
            if (!std::isfinite(target[e]))
                throw FormatError(source + ": layer '" + l.name + "' (" + l.className +
                                  "): weights contain NaN or infinite values");
    }
}

// The recorded weight shapes of an architecture-only model (no tensors may come with them).
void readWeightShapes(const Message& m, ModelSpec& spec, const std::string& source)
{
    if (!m.header.at("tensors").empty() || m.header.contains("file_tensors"))
        bad(source, "tensors in an architecture-only model");
    spec.weightsLoaded = false;
    for (const auto& w : m.header.at("weight_shapes")) {
        const auto layer = json_integers::get<std::size_t>(w.at("layer"));
        if (layer >= spec.layers.size())
            bad(source, "weight shape of a layer that does not exist");
        LayerSpec& l = spec.layers[layer];
        const std::string role = w.at("role").get<std::string>();
        // Only keys a weight of this layer can have (model/LayerTraits.h, weightShapeKey).
        bool known = false;
        for (std::size_t p = 0; p < l.attentionCirculant.size(); ++p)
            known = known || (l.attentionCirculant[p] && role == attentionVectorsKey(p));
        known = known || (role == "vectors" && l.circulant) || (role == "recurrent_vectors" && l.recurrentCirculant) ||
                (weightRoleFromName(role) && weightShapeKey(l, weightTensor(l, *weightRoleFromName(role))) == role);
        if (!known)
            bad(source, "unknown weight role '" + role + "'");
        const Shape shape = json_integers::get<Shape>(w.at("shape"));
        for (auto d : shape)
            if (d < 0)
                bad(source, "negative dimension");
        l.weightShapes[role] = shape;
    }
}

} // namespace

void writeModel(int fd, const ModelSpec& model, ModelFormat format, const std::vector<native::DeferredTensor>& deferred,
                const std::string& modelPath)
{
    json header;
    header["kind"] = "model";
    header["format"] = formatTag(format);
    header["model"] = native::describeModel(model);
    header["tensors"] = json::array();
    std::vector<Block> blocks;
    std::size_t offset = 0;
    for (std::size_t i = 0; i < model.layers.size(); ++i) {
        const LayerSpec& l = model.layers[i];
        // Every weight role of the traits table (model/LayerTraits.h), then the circulant vectors.
        std::vector<std::pair<const char*, const Tensor*>> tensors;
        // Two roles may share a member (Normalization's mean / variance): sent once, first name.
        for (const WeightRoleInfo& r : weightRoleTable())
            if (std::none_of(tensors.begin(), tensors.end(), [&](const auto& e) { return e.second == &(l.*r.member); }))
                tensors.emplace_back(r.name, &(l.*r.member));
        tensors.emplace_back("vectors", l.circulant ? &l.circulant->vectors : nullptr);
        tensors.emplace_back("recurrent_vectors", l.recurrentCirculant ? &l.recurrentCirculant->vectors : nullptr);
        for (std::size_t p = 0; p < l.attentionCirculant.size(); ++p)
            if (l.attentionCirculant[p])
                tensors.emplace_back(attentionVectorsKey(p), &l.attentionCirculant[p]->vectors);
        for (const auto& [role, t] : tensors) {
            if (!t || t->empty())
                continue;
            const std::size_t bytes = static_cast<std::size_t>(t->size()) * sizeof(float);
            header["tensors"].push_back({{"layer", i}, {"role", role}, {"shape", t->shape()}, {"offset", offset}});
            blocks.push_back({t->data(), bytes});
            offset += aligned(bytes);
        }
    }
    if (!model.weightsLoaded) {
        header["weights_loaded"] = false;
        header["weight_shapes"] = json::array();
        for (std::size_t i = 0; i < model.layers.size(); ++i)
            for (const auto& [role, shape] : model.layers[i].weightShapes)
                header["weight_shapes"].push_back({{"layer", i}, {"role", role}, {"shape", shape}});
    }
    if (!deferred.empty()) {
        struct stat st {};
        if (::stat(modelPath.c_str(), &st) != 0)
            throw Error(modelPath + ": cannot stat: " + std::strerror(errno));
        header["file"] = fileIdentity(st);
        header["file_tensors"] = json::array();
        for (const native::DeferredTensor& d : deferred)
            header["file_tensors"].push_back(
                {{"layer", d.layer}, {"role", d.role}, {"shape", d.shape}, {"file_offset", d.fileOffset}});
    }
    writeMessage(fd, header, blocks);
}

void writeDataset(int fd, const Dataset& data)
{
    const std::size_t imageBytes = static_cast<std::size_t>(data.images.size()) * sizeof(float);
    const std::size_t labelBytes = data.labels.size() * sizeof(std::int32_t);
    json header{{"kind", "dataset"},
                {"name", data.name},
                {"class_count", data.classCount},
                {"images", {{"shape", data.images.shape()}, {"offset", 0}}},
                {"labels", {{"count", data.labels.size()}, {"offset", aligned(imageBytes)}}}};
    std::vector<Block> blocks{{data.images.data(), imageBytes}, {data.labels.data(), labelBytes}};
    if (data.targets.rank() > 0) {
        header["targets"] = {{"shape", data.targets.shape()}, {"offset", aligned(imageBytes) + aligned(labelBytes)}};
        blocks.push_back({data.targets.data(), static_cast<std::size_t>(data.targets.size()) * sizeof(float)});
    }
    writeMessage(fd, header, blocks);
}

void writeFormat(int fd, ModelFormat format)
{
    writeMessage(fd, {{"kind", "format"}, {"format", formatTag(format)}}, {});
}

void writeError(int fd, const std::string& type, const std::string& message)
{
    writeMessage(fd, {{"kind", "error"}, {"type", type}, {"message", message}}, {});
}

ModelSpec readModel(const char* bytes, std::size_t size, const std::string& source, ModelFormat* format, int modelFd)
{
    const Message m = parseMessage(bytes, size, source, "model");
    ModelSpec spec;
    try {
        if (format)
            *format = formatFromTag(m.header.at("format").get<std::string>(), source);
        spec = native::modelFromDescription(m.header.at("model"), source);
        for (const auto& t : m.header.at("tensors")) {
            Tensor* target = &tensorFor(spec, t, source);
            const LayerSpec& l = spec.layers[json_integers::get<std::size_t>(t.at("layer"))];
            const std::string role = t.at("role").get<std::string>();
            Shape shape;
            std::size_t offset = 0;
            const std::int64_t n = checkBlock(m, t.at("shape"), t.at("offset"), sizeof(float), source, shape, offset);
            checkMemoryBudget(saturatingMultiply(n, 4), source + ": layer '" + l.name + "' " + role);
            *target = Tensor(shape);
            copyBlock(target->data(), m.data + offset, static_cast<std::size_t>(n) * sizeof(float));
        }
        if (m.header.contains("file_tensors"))
            readFileTensors(m, spec, modelFd, source);
        if (m.header.value("weights_loaded", true) == false)
            readWeightShapes(m, spec, source);
    } catch (const json::exception& e) {
        bad(source, e.what());
    }
    return spec;
}

Dataset readDataset(const char* bytes, std::size_t size, const std::string& source)
{
    const Message m = parseMessage(bytes, size, source, "dataset");
    Dataset d;
    try {
        d.name = m.header.at("name").get<std::string>();
        d.classCount = json_integers::get<std::int64_t>(m.header.at("class_count"));
        Shape shape;
        std::size_t offset = 0;
        const std::int64_t n = checkBlock(m, m.header.at("images").at("shape"), m.header.at("images").at("offset"),
                                          sizeof(float), source, shape, offset);
        checkMemoryBudget(saturatingMultiply(n, 4), source + ": images");
        d.images = Tensor(shape);
        copyBlock(d.images.data(), m.data + offset, static_cast<std::size_t>(n) * sizeof(float));
        Shape labelShape{json_integers::get<std::int64_t>(m.header.at("labels").at("count"))};
        const std::int64_t count = checkBlock(m, labelShape, m.header.at("labels").at("offset"), sizeof(std::int32_t),
                                              source, labelShape, offset);
        d.labels.resize(static_cast<std::size_t>(count));
        copyBlock(d.labels.data(), m.data + offset, static_cast<std::size_t>(count) * sizeof(std::int32_t));
        if (m.header.contains("targets")) {
            const std::int64_t t =
                checkBlock(m, m.header.at("targets").at("shape"), m.header.at("targets").at("offset"), sizeof(float),
                           source, shape, offset);
            checkMemoryBudget(saturatingMultiply(t, 4), source + ": targets");
            d.targets = Tensor(shape);
            copyBlock(d.targets.data(), m.data + offset, static_cast<std::size_t>(t) * sizeof(float));
        }
    } catch (const json::exception& e) {
        bad(source, e.what());
    }
    return d;
}

ModelFormat readFormat(const char* bytes, std::size_t size, const std::string& source)
{
    const Message m = parseMessage(bytes, size, source, "format");
    if (!m.header.contains("format") || !m.header["format"].is_string())
        bad(source, "no format");
    return formatFromTag(m.header["format"].get<std::string>(), source);
}

} // namespace circnn::transfer
