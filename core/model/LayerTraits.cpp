#include "model/LayerTraits.h"

#include <array>
#include <cctype>

#include "common/Error.h"
#include "model/LayerShapeRules.h"
#include "model/VisionShapeRules.h"

namespace circnn {

namespace {

constexpr std::array<WeightRoleInfo, 21> kWeightRoles{{
    {WeightRole::Kernel, "kernel", &LayerSpec::kernel},
    {WeightRole::Bias, "bias", &LayerSpec::bias},
    {WeightRole::Gamma, "gamma", &LayerSpec::gamma},
    {WeightRole::Beta, "beta", &LayerSpec::beta},
    {WeightRole::MovingMean, "moving_mean", &LayerSpec::movingMean},
    {WeightRole::MovingVariance, "moving_variance", &LayerSpec::movingVariance},
    {WeightRole::DepthwiseKernel, "depthwise_kernel", &LayerSpec::depthwiseKernel},
    {WeightRole::PointwiseKernel, "pointwise_kernel", &LayerSpec::pointwiseKernel},
    {WeightRole::Mean, "mean", &LayerSpec::movingMean},
    {WeightRole::Variance, "variance", &LayerSpec::movingVariance},
    {WeightRole::Count, "count", &LayerSpec::count},
    {WeightRole::RecurrentKernel, "recurrent_kernel", &LayerSpec::recurrentKernel},
    {WeightRole::Embeddings, "embeddings", &LayerSpec::embeddings},
    {WeightRole::QueryKernel, "query/kernel", &LayerSpec::queryKernel},
    {WeightRole::QueryBias, "query/bias", &LayerSpec::queryBias},
    {WeightRole::KeyKernel, "key/kernel", &LayerSpec::keyKernel},
    {WeightRole::KeyBias, "key/bias", &LayerSpec::keyBias},
    {WeightRole::ValueKernel, "value/kernel", &LayerSpec::valueKernel},
    {WeightRole::ValueBias, "value/bias", &LayerSpec::valueBias},
    {WeightRole::OutputKernel, "attention_output/kernel", &LayerSpec::outputKernel},
    {WeightRole::OutputBias, "attention_output/bias", &LayerSpec::outputBias},
}};

// Weight-role rules (Keras stores trainable variables first, then non-trainable ones).
std::vector<WeightRole> kernelAndBias(const LayerSpec& l, int)
{
    if (l.useBias)
        return {WeightRole::Kernel, WeightRole::Bias};
    return {WeightRole::Kernel};
}

// The normalisations' gamma (when scale) before beta (when center): LayerNormalization's roles in
// Keras 2 and 3 alike.
std::vector<WeightRole> scaleOffsetRoles(const LayerSpec& l, int)
{
    std::vector<WeightRole> roles;
    if (l.scale)
        roles.push_back(WeightRole::Gamma);
    if (l.center)
        roles.push_back(WeightRole::Beta);
    return roles;
}

std::vector<WeightRole> batchNormRoles(const LayerSpec& l, int kerasMajor)
{
    std::vector<WeightRole> roles = scaleOffsetRoles(l, kerasMajor);
    roles.push_back(WeightRole::MovingMean);
    roles.push_back(WeightRole::MovingVariance);
    return roles;
}

std::vector<WeightRole> depthwiseRoles(const LayerSpec& l, int)
{
    if (l.useBias)
        return {WeightRole::DepthwiseKernel, WeightRole::Bias};
    return {WeightRole::DepthwiseKernel};
}

const char* depthwiseKerasName(WeightRole role, int kerasMajor)
{
    return role == WeightRole::DepthwiseKernel && kerasMajor >= 3 ? "kernel" : nullptr;
}

std::vector<WeightRole> separableRoles(const LayerSpec& l, int)
{
    if (l.useBias)
        return {WeightRole::DepthwiseKernel, WeightRole::PointwiseKernel, WeightRole::Bias};
    return {WeightRole::DepthwiseKernel, WeightRole::PointwiseKernel};
}

// Normalization stores mean, variance and count unless mean / variance were given in its config.
std::vector<WeightRole> normalizationRoles(const LayerSpec& l, int)
{
    if (l.statsInConfig)
        return {};
    return {WeightRole::Mean, WeightRole::Variance, WeightRole::Count};
}

// Keras stores a recurrent layer's cell variables in this order.
std::vector<WeightRole> recurrentRoles(const LayerSpec& l, int)
{
    if (l.useBias)
        return {WeightRole::Kernel, WeightRole::RecurrentKernel, WeightRole::Bias};
    return {WeightRole::Kernel, WeightRole::RecurrentKernel};
}

std::vector<WeightRole> embeddingRoles(const LayerSpec&, int)
{
    return {WeightRole::Embeddings};
}

// MultiHeadAttention: the query, key, value and output EinsumDense layers' kernel and bias, in
// that order (Keras 2 and 3 alike).
std::vector<WeightRole> attentionRoles(const LayerSpec& l, int)
{
    if (l.useBias)
        return {WeightRole::QueryKernel, WeightRole::QueryBias, WeightRole::KeyKernel,    WeightRole::KeyBias,
                WeightRole::ValueKernel, WeightRole::ValueBias, WeightRole::OutputKernel, WeightRole::OutputBias};
    return {WeightRole::QueryKernel, WeightRole::KeyKernel, WeightRole::ValueKernel, WeightRole::OutputKernel};
}

constexpr const char* kActivationAliases[] = {"ReLU", "LeakyReLU", "Softmax", "ELU"};
constexpr const char* kConv2DAliases[] = {"Convolution2D"};
constexpr const char* kMaxPool2DAliases[] = {"MaxPool2D"};
constexpr const char* kAvgPool2DAliases[] = {"AvgPool2D"};
constexpr const char* kGlobalAvgPool2DAliases[] = {"GlobalAvgPool2D"};
constexpr const char* kGlobalMaxPool2DAliases[] = {"GlobalMaxPool2D"};
constexpr const char* kConv1DAliases[] = {"Convolution1D"};
constexpr const char* kMaxPool1DAliases[] = {"MaxPool1D"};
constexpr const char* kAvgPool1DAliases[] = {"AvgPool1D"};
constexpr const char* kGlobalAvgPool1DAliases[] = {"GlobalAvgPool1D"};
constexpr const char* kGlobalMaxPool1DAliases[] = {"GlobalMaxPool1D"};
constexpr const char* kSeparableAliases[] = {"SeparableConvolution2D"};
constexpr const char* kConv2DTransposeAliases[] = {"Convolution2DTranspose", "Deconvolution2D"};

using namespace shape_rules;

// The table (designated initializers; omitted fields take the defaults of LayerTraits: one
// input, not convertible, not unit-wise, free, no stats, no weights).
// clang-format off
const LayerTraits kTraits[] = {
    {.kind = LayerKind::Input, .kerasClass = "InputLayer", .minInputs = 0, .maxInputs = 0, .shape = input},
    {.kind = LayerKind::Dense, .kerasClass = "Dense", .convertible = true, .cost = CostClass::Matmul, .shape = dense,
     .stats = denseStats, .weightRoles = kernelAndBias, .passesSequenceMask = true},
    {.kind = LayerKind::Conv2D, .kerasClass = "Conv2D", .aliases = kConv2DAliases, .convertible = true,
     .cost = CostClass::Matmul, .shape = conv2D, .stats = conv2DStats, .weightRoles = kernelAndBias},
    {.kind = LayerKind::MaxPooling2D, .kerasClass = "MaxPooling2D", .aliases = kMaxPool2DAliases, .unitWise = true,
     .cost = CostClass::Pooling, .shape = pooling2D},
    {.kind = LayerKind::AveragePooling2D, .kerasClass = "AveragePooling2D", .aliases = kAvgPool2DAliases,
     .unitWise = true, .cost = CostClass::Pooling, .shape = pooling2D},
    {.kind = LayerKind::GlobalAveragePooling2D, .kerasClass = "GlobalAveragePooling2D",
     .aliases = kGlobalAvgPool2DAliases, .unitWise = true, .cost = CostClass::GlobalPooling,
     .shape = globalPooling2D},
    {.kind = LayerKind::GlobalMaxPooling2D, .kerasClass = "GlobalMaxPooling2D", .aliases = kGlobalMaxPool2DAliases,
     .unitWise = true, .cost = CostClass::GlobalPooling, .shape = globalPooling2D},
    {.kind = LayerKind::Flatten, .kerasClass = "Flatten", .passesUnits = true, .shape = flatten},
    {.kind = LayerKind::Reshape, .kerasClass = "Reshape", .passesUnits = true, .shape = reshape},
    {.kind = LayerKind::ZeroPadding2D, .kerasClass = "ZeroPadding2D", .unitWise = true, .shape = zeroPadding2D},
    {.kind = LayerKind::Dropout, .kerasClass = "Dropout", .unitWise = true, .passesUnits = true, .shape = identity,
     .passesSequenceMask = true},
    {.kind = LayerKind::Activation, .kerasClass = "Activation", .aliases = kActivationAliases, .unitWise = true,
     .passesUnits = true, .cost = CostClass::Activation, .shape = identity, .passesSequenceMask = true},
    {.kind = LayerKind::BatchNormalization, .kerasClass = "BatchNormalization", .passesUnits = true,
     .cost = CostClass::Affine, .shape = batchNormalization, .stats = batchNormalizationStats,
     .weightRoles = batchNormRoles, .passesSequenceMask = true},
    {.kind = LayerKind::Add, .kerasClass = "Add", .minInputs = 2, .maxInputs = -1, .cost = CostClass::Elementwise,
     .shape = add, .passesSequenceMask = true},
    {.kind = LayerKind::Concatenate, .kerasClass = "Concatenate", .minInputs = 2, .maxInputs = -1,
     .shape = concatenate, .passesSequenceMask = true},
    {.kind = LayerKind::DepthwiseConv2D, .kerasClass = "DepthwiseConv2D", .cost = CostClass::Depthwise,
     .shape = depthwiseConv2D, .stats = depthwiseConv2DStats, .weightRoles = depthwiseRoles,
     .kerasWeightName = depthwiseKerasName,
     .staysDenseReason = "depthwise: no channel mixing, one kh x kw filter per channel (no matrix to make "
                         "block-circulant)"},
    {.kind = LayerKind::SeparableConv2D, .kerasClass = "SeparableConv2D", .aliases = kSeparableAliases,
     .shape = separableConv2D, .weightRoles = separableRoles, .splitOnRead = true},
    {.kind = LayerKind::Conv1D, .kerasClass = "Conv1D", .aliases = kConv1DAliases, .convertible = true,
     .cost = CostClass::Matmul, .shape = conv1D, .stats = conv1DStats, .weightRoles = kernelAndBias},
    {.kind = LayerKind::MaxPooling1D, .kerasClass = "MaxPooling1D", .aliases = kMaxPool1DAliases, .unitWise = true,
     .cost = CostClass::Pooling, .shape = pooling1D},
    {.kind = LayerKind::AveragePooling1D, .kerasClass = "AveragePooling1D", .aliases = kAvgPool1DAliases,
     .unitWise = true, .cost = CostClass::Pooling, .shape = pooling1D},
    {.kind = LayerKind::GlobalAveragePooling1D, .kerasClass = "GlobalAveragePooling1D",
     .aliases = kGlobalAvgPool1DAliases, .unitWise = true, .cost = CostClass::GlobalPooling,
     .shape = globalPooling1D, .consumesSequenceMask = true},
    {.kind = LayerKind::GlobalMaxPooling1D, .kerasClass = "GlobalMaxPooling1D", .aliases = kGlobalMaxPool1DAliases,
     .unitWise = true, .cost = CostClass::GlobalPooling, .shape = globalPooling1D},
    {.kind = LayerKind::ZeroPadding1D, .kerasClass = "ZeroPadding1D", .unitWise = true, .shape = zeroPadding1D},
    // Issue 15: up-sampling / autoencoder / preprocessing / merge layers (model/VisionShapeRules.h).
    {.kind = LayerKind::UpSampling1D, .kerasClass = "UpSampling1D", .unitWise = true, .cost = CostClass::Resize,
     .shape = upSampling1D},
    {.kind = LayerKind::UpSampling2D, .kerasClass = "UpSampling2D", .unitWise = true, .cost = CostClass::Resize,
     .shape = upSampling2D},
    {.kind = LayerKind::Cropping1D, .kerasClass = "Cropping1D", .unitWise = true, .shape = cropping1D},
    {.kind = LayerKind::Cropping2D, .kerasClass = "Cropping2D", .unitWise = true, .shape = cropping2D},
    {.kind = LayerKind::Conv2DTranspose, .kerasClass = "Conv2DTranspose", .aliases = kConv2DTransposeAliases,
     .convertible = true, .cost = CostClass::Transposed, .shape = conv2DTranspose, .stats = conv2DTransposeStats,
     .weightRoles = kernelAndBias},
    {.kind = LayerKind::Rescaling, .kerasClass = "Rescaling", .unitWise = true, .passesUnits = true,
     .cost = CostClass::Affine, .shape = rescaling},
    {.kind = LayerKind::Normalization, .kerasClass = "Normalization", .passesUnits = true, .cost = CostClass::Affine,
     .shape = normalization, .stats = normalizationStats, .weightRoles = normalizationRoles},
    {.kind = LayerKind::Multiply, .kerasClass = "Multiply", .minInputs = 2, .maxInputs = -1,
     .cost = CostClass::Product, .shape = merge, .passesSequenceMask = true},
    {.kind = LayerKind::Subtract, .kerasClass = "Subtract", .minInputs = 2, .maxInputs = 2,
     .cost = CostClass::Elementwise, .shape = subtract},
    {.kind = LayerKind::Average, .kerasClass = "Average", .minInputs = 2, .maxInputs = -1, .cost = CostClass::Mean,
     .shape = merge, .passesSequenceMask = true},
    {.kind = LayerKind::Maximum, .kerasClass = "Maximum", .minInputs = 2, .maxInputs = -1,
     .cost = CostClass::Compare, .shape = merge},
    {.kind = LayerKind::Permute, .kerasClass = "Permute", .shape = permute},
    {.kind = LayerKind::RepeatVector, .kerasClass = "RepeatVector", .shape = repeatVector},
    // Issue 16: sequence layers (model/SequenceShapeRules.cpp, core/nn/RecurrentLayer.h).
    {.kind = LayerKind::Embedding, .kerasClass = "Embedding", .shape = embedding, .stats = embeddingStats,
     .weightRoles = embeddingRoles,
     .staysDenseReason = "a lookup table: no matrix product to make block-circulant"},
    // Gate arithmetic: SimpleRNN act(z); LSTM c = f∘c + i∘g, h = o∘act(c): 3 mul, 1 add, 4 gates +
    // act(c); GRU r∘(U_h h), h = z∘h + (1−z)∘ĥ: 3 mul, 2 add, 3 gates.
    {.kind = LayerKind::SimpleRNN, .kerasClass = "SimpleRNN", .convertible = true, .cost = CostClass::Recurrent,
     .shape = recurrent, .stats = recurrentStats, .weightRoles = recurrentRoles, .recurrentGates = 1,
     .gateArithmetic = {.multiplies = 0, .adds = 0, .activations = 1}},
    {.kind = LayerKind::LSTM, .kerasClass = "LSTM", .convertible = true, .cost = CostClass::Recurrent,
     .shape = recurrent, .stats = recurrentStats, .weightRoles = recurrentRoles, .recurrentGates = 4,
     .gateArithmetic = {.multiplies = 3, .adds = 1, .activations = 5}},
    {.kind = LayerKind::GRU, .kerasClass = "GRU", .convertible = true, .cost = CostClass::Recurrent,
     .shape = recurrent, .stats = recurrentStats, .weightRoles = recurrentRoles, .recurrentGates = 3,
     .gateArithmetic = {.multiplies = 3, .adds = 2, .activations = 3}},
    {.kind = LayerKind::TimeDistributed, .kerasClass = "TimeDistributed", .shape = dense, .stats = denseStats,
     .weightRoles = kernelAndBias, .splitOnRead = true},
    {.kind = LayerKind::LayerNormalization, .kerasClass = "LayerNormalization", .cost = CostClass::Normalize,
     .shape = layerNormalization, .stats = layerNormalizationStats, .weightRoles = scaleOffsetRoles,
     .passesSequenceMask = true},
    {.kind = LayerKind::Masking, .kerasClass = "Masking", .unitWise = true, .passesUnits = true,
     .cost = CostClass::Mask, .shape = identity},
    // Issue 16: attention (model/AttentionShapeRules.cpp, core/nn/MultiHeadAttentionLayer.h). The
    // query's mask passes on (Keras' default compute_mask); the masks it consumes are wired by the
    // runtime (nn/SequenceMask.h).
    {.kind = LayerKind::MultiHeadAttention, .kerasClass = "MultiHeadAttention", .minInputs = 2, .maxInputs = 3,
     .convertible = true, .cost = CostClass::Attention, .shape = multiHeadAttention, .stats = multiHeadAttentionStats,
     .weightRoles = attentionRoles, .passesSequenceMask = true},
};
// clang-format on

} // namespace

std::span<const WeightRoleInfo> weightRoleTable()
{
    return kWeightRoles;
}

const char* weightRoleName(WeightRole role)
{
    for (const auto& r : kWeightRoles)
        if (r.role == role)
            return r.name;
    return "?";
}

std::optional<WeightRole> weightRoleFromName(const std::string& name)
{
    for (const auto& r : kWeightRoles)
        if (name == r.name)
            return r.role;
    return std::nullopt;
}

Tensor& weightTensor(LayerSpec& layer, WeightRole role)
{
    for (const auto& r : kWeightRoles)
        if (r.role == role)
            return layer.*r.member;
    throw Error("internal: weight role without a LayerSpec member");
}

const Tensor& weightTensor(const LayerSpec& layer, WeightRole role)
{
    return weightTensor(const_cast<LayerSpec&>(layer), role);
}

const LayerTraits& layerTraits(LayerKind kind)
{
    for (const auto& t : kTraits)
        if (t.kind == kind)
            return t;
    throw Error("internal: layer kind " + std::to_string(static_cast<int>(kind)) + " has no traits row");
}

std::string kerasNameStem(LayerKind kind)
{
    // Keras' to_snake_case: "_" before an upper-case letter that starts a lower-case run (or a run
    // of digits) and after a lower-case letter followed by an upper-case one.
    const std::string cls = layerTraits(kind).kerasClass;
    std::string out;
    for (std::size_t i = 0; i < cls.size(); ++i) {
        const auto c = static_cast<unsigned char>(cls[i]);
        if (i > 0 && std::isupper(c)) {
            const auto prev = static_cast<unsigned char>(cls[i - 1]);
            const bool startsWord = i + 1 < cls.size() && (std::islower(static_cast<unsigned char>(cls[i + 1])) ||
                                                           std::isdigit(static_cast<unsigned char>(cls[i + 1])));
            if (std::islower(prev) || startsWord)
                out += '_';
        }
        out += static_cast<char>(std::tolower(c));
    }
    return out;
}

std::span<const LayerTraits> allLayerTraits()
{
    return kTraits;
}

std::vector<WeightRole> layerWeightRoles(const LayerSpec& layer, int kerasMajor)
{
    const auto rule = layerTraits(layer.kind).weightRoles;
    return rule ? rule(layer, kerasMajor) : std::vector<WeightRole>{};
}

std::vector<std::string> kerasWeightNames(const LayerSpec& layer, int kerasMajor)
{
    const auto rename = layerTraits(layer.kind).kerasWeightName;
    std::vector<std::string> names;
    for (WeightRole r : layerWeightRoles(layer, kerasMajor)) {
        const char* special = rename ? rename(r, kerasMajor) : nullptr;
        names.emplace_back(special ? special : weightRoleName(r));
    }
    return names;
}

std::string convertibleLayerClasses()
{
    std::vector<std::string> names;
    for (const auto& t : kTraits)
        if (t.convertible)
            names.emplace_back(t.kerasClass);
    std::string s;
    for (std::size_t i = 0; i < names.size(); ++i)
        s += (i == 0 ? "" : i + 1 == names.size() ? " and " : ", ") + names[i];
    return s;
}

const char* layerKindName(LayerKind kind)
{
    for (const auto& t : kTraits)
        if (t.kind == kind)
            return t.kerasClass;
    return "?";
}

std::optional<LayerKind> layerKindFromName(const std::string& n)
{
    for (const auto& t : kTraits) {
        if (n == t.kerasClass)
            return t.kind;
        for (const char* alias : t.aliases)
            if (n == alias)
                return t.kind;
    }
    return std::nullopt;
}

std::string supportedLayerClasses()
{
    std::string names, aliases;
    for (const auto& t : kTraits) {
        names += (names.empty() ? "" : ", ") + std::string(t.kerasClass);
        for (const char* alias : t.aliases)
            aliases += ", " + std::string(alias);
    }
    // Read as plain layers (io/KerasBidirectional.h), so it has no kind of its own.
    return names + ", Bidirectional" + aliases;
}

const char* attentionVectorsKey(std::size_t projection)
{
    static const char* const kKeys[] = {"query/vectors", "key/vectors", "value/vectors", "attention_output/vectors"};
    return projection < 4 ? kKeys[projection] : "";
}

std::string weightShapeKey(const LayerSpec& layer, const Tensor& member)
{
    if (layer.circulant && &member == &layer.circulant->vectors)
        return "vectors";
    if (layer.recurrentCirculant && &member == &layer.recurrentCirculant->vectors)
        return "recurrent_vectors";
    for (std::size_t i = 0; i < layer.attentionCirculant.size(); ++i)
        if (layer.attentionCirculant[i] && &member == &layer.attentionCirculant[i]->vectors)
            return attentionVectorsKey(i);
    for (const WeightRoleInfo& r : kWeightRoles)
        if (&(layer.*r.member) == &member)
            return r.name;
    return {};
}

Shape storedWeightShape(const LayerSpec& layer, const Tensor& member)
{
    if (!member.empty() || layer.weightShapes.empty())
        return member.shape();
    const auto it = layer.weightShapes.find(weightShapeKey(layer, member));
    return it == layer.weightShapes.end() ? member.shape() : it->second;
}

std::int64_t storedWeightCount(const LayerSpec& layer, const Tensor& member)
{
    if (!member.empty() || layer.weightShapes.empty())
        return member.size();
    const auto it = layer.weightShapes.find(weightShapeKey(layer, member));
    return it == layer.weightShapes.end() ? 0 : shapeSize(it->second);
}

} // namespace circnn
