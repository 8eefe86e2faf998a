#pragma once
// Internal to the architecture parser (model/ArchitectureParser.cpp reads the descriptions and
// builds the layers; model/ArchitectureSequenceEntries.cpp reads the JSON entries of sequence
// models): one layer as described, before weights. Not an interface of its own.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/ModelSpec.h"

namespace circnn::architecture {

// Marks around the entries of a residual connection: Begin remembers the tensor entering the
// body, End adds it to the body's output (an Add layer).
enum class Residual { None, Begin, End };

struct LayerDesc {
    LayerKind kind = LayerKind::Dense;
    Residual residual = Residual::None;
    std::int64_t units = 0; // Dense width (0: the input's features) / Conv2D filters / attention output (0: query's)
    std::int64_t kernel = 3, stride = 1, pool = 2;
    Padding padding = Padding::Same;
    float rate = 0;
    std::optional<ActivationKind> activation;
    bool useBias = true;
    std::int64_t k = 0; // explicit block size (0 = default)
    std::string where;  // token / JSON position for messages
    // Sequence layers (JSON only): Embedding vocabulary and mask_zero; recurrent options.
    std::int64_t vocab = 0;
    bool maskZero = false, returnSequences = false, goBackwards = false, resetAfter = true;
    // MultiHeadAttention (self-attention): heads, key_dim, value_dim, use_causal_mask.
    std::int64_t heads = 0, keyDim = 0, valueDim = 0;
    bool causal = false;
    // LayerNormalization
    float epsilon = 1e-3f;
};

// "architecture JSON <where>: expected a positive integer" unless `v` is one.
std::int64_t jsonPositive(const nlohmann::json& v, const std::string& where);
// A positive integer no larger than `limit` (sizes that would only exhaust memory are refused
// with their name before any shape arithmetic).
std::int64_t jsonBounded(const nlohmann::json& v, const std::string& where, std::int64_t limit);
bool jsonFlag(const nlohmann::json& e, const char* key, bool def, const std::string& where);

// One entry of the JSON "layers" list (ArchitectureParser.cpp), appended to `out` (a residual or
// transformer entry appends several descriptions between Residual marks).
void parseJsonEntry(const nlohmann::json& e, const std::string& where, std::vector<LayerDesc>& out);

// The sequence-model entries (ArchitectureSequenceEntries.cpp): embedding, lstm, gru,
// simple_rnn, attention, transformer, residual, layer_norm. Returns false when `e` is none of
// them (nothing appended).
bool parseSequenceEntry(const nlohmann::json& e, const std::string& where, std::vector<LayerDesc>& out);

} // namespace circnn::architecture
