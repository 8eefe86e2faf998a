#include "nn/Layer.h"

#include <cmath>

#include "common/Error.h"
#include "nn/ActivationLayer.h"
#include "nn/Activations.h"
#include "nn/AddLayer.h"
#include "nn/BatchNormalizationLayer.h"
#include "nn/ConcatenateLayer.h"
#include "nn/Conv2DLayer.h"
#include "nn/DenseLayer.h"
#include "nn/DepthwiseConv2DLayer.h"
#include "nn/DropoutLayer.h"
#include "nn/EmbeddingLayer.h"
#include "nn/GlobalPooling2DLayer.h"
#include "nn/GruLayer.h"
#include "nn/InputLayer.h"
#include "nn/LayerNormalizationLayer.h"
#include "nn/LstmLayer.h"
#include "nn/MaskingLayer.h"
#include "nn/Pooling2DLayer.h"
#include "nn/ReshapeLayer.h"
#include "nn/SimpleRnnLayer.h"
#include "nn/ZeroPadding2DLayer.h"
// Issue 15 families
#include "nn/ChannelAffineLayer.h"
#include "nn/Conv2DTransposeLayer.h"
#include "nn/CroppingLayer.h"
#include "nn/MergeLayer.h"
#include "nn/MultiHeadAttentionLayer.h"
#include "nn/PermuteLayer.h"
#include "nn/RepeatVectorLayer.h"
#include "nn/UpSamplingLayer.h"

namespace circnn::nn {

void Layer::checkFinite(const Tensor& t, const char* role) const
{
    for (std::int64_t i = 0; i < t.size(); ++i)
        if (!std::isfinite(t[i]))
            throw Error(where() + std::string(role) + " contains " + (std::isnan(t[i]) ? "NaN" : "Inf") + " at index " +
                        std::to_string(i));
}

void Layer::applyOwnActivation(Tensor& z, LayerCache* cache, bool skipSoftmax, bool keepPreActivation) const
{
    const ActivationKind act = m_spec->activation;
    if (cache) {
        cache->softmaxSkipped = false;
        if (act == ActivationKind::Softmax && skipSoftmax) {
            cache->softmaxSkipped = true;
            return;
        }
        if (keepPreActivation && act != ActivationKind::Linear)
            cache->aux = z;
    }
    const std::int64_t last = z.rank() ? z.dim(z.rank() - 1) : 1;
    applyActivation(act, m_spec->activationAlpha, z.data(), z.size(), last);
}

void Layer::ownActivationGradient(const float* z, const Tensor& y, const Tensor& gy, const LayerCache& cache,
                                  Tensor& gz) const
{
    const ActivationKind act = m_spec->activation;
    if (act == ActivationKind::Linear || cache.softmaxSkipped) {
        gz = gy;
        return;
    }
    gz.resize(gy.shape());
    const std::int64_t last = gy.rank() ? gy.dim(gy.rank() - 1) : 1;
    activationGradient(act, m_spec->activationAlpha, z, y.data(), gy.data(), gz.data(), gy.size(), last);
}

std::unique_ptr<Layer> createLayer(const LayerSpec& spec)
{
    switch (spec.kind) {
    case LayerKind::Input:
        return std::make_unique<InputLayer>(spec);
    case LayerKind::Dense:
        return std::make_unique<DenseLayer>(spec);
    case LayerKind::Conv2D:
        return std::make_unique<Conv2DLayer>(spec);
    case LayerKind::MaxPooling2D:
    case LayerKind::AveragePooling2D:
        return std::make_unique<Pooling2DLayer>(spec);
    case LayerKind::GlobalAveragePooling2D:
    case LayerKind::GlobalMaxPooling2D:
        return std::make_unique<GlobalPooling2DLayer>(spec);
    case LayerKind::Flatten:
    case LayerKind::Reshape:
        return std::make_unique<ReshapeLayer>(spec);
    case LayerKind::ZeroPadding2D:
        return std::make_unique<ZeroPadding2DLayer>(spec);
    case LayerKind::Dropout:
        return std::make_unique<DropoutLayer>(spec);
    case LayerKind::Activation:
        return std::make_unique<ActivationLayer>(spec);
    case LayerKind::BatchNormalization:
        return std::make_unique<BatchNormalizationLayer>(spec);
    case LayerKind::Add:
        return std::make_unique<AddLayer>(spec);
    case LayerKind::Concatenate:
        return std::make_unique<ConcatenateLayer>(spec);
    case LayerKind::DepthwiseConv2D:
        return std::make_unique<DepthwiseConv2DLayer>(spec);
    case LayerKind::Conv1D:
        return std::make_unique<Conv2DLayer>(spec);
    case LayerKind::MaxPooling1D:
    case LayerKind::AveragePooling1D:
        return std::make_unique<Pooling2DLayer>(spec);
    case LayerKind::GlobalAveragePooling1D:
    case LayerKind::GlobalMaxPooling1D:
        return std::make_unique<GlobalPooling2DLayer>(spec);
    case LayerKind::ZeroPadding1D:
        return std::make_unique<ZeroPadding2DLayer>(spec);
    case LayerKind::UpSampling1D:
    case LayerKind::UpSampling2D:
        return std::make_unique<UpSamplingLayer>(spec);
    case LayerKind::Cropping1D:
    case LayerKind::Cropping2D:
        return std::make_unique<CroppingLayer>(spec);
    case LayerKind::Conv2DTranspose:
        return std::make_unique<Conv2DTransposeLayer>(spec);
    case LayerKind::Rescaling:
    case LayerKind::Normalization:
        return std::make_unique<ChannelAffineLayer>(spec);
    case LayerKind::Multiply:
    case LayerKind::Subtract:
    case LayerKind::Average:
    case LayerKind::Maximum:
        return std::make_unique<MergeLayer>(spec);
    case LayerKind::Permute:
        return std::make_unique<PermuteLayer>(spec);
    case LayerKind::RepeatVector:
        return std::make_unique<RepeatVectorLayer>(spec);
    case LayerKind::Embedding:
        return std::make_unique<EmbeddingLayer>(spec);
    case LayerKind::SimpleRNN:
        return std::make_unique<SimpleRnnLayer>(spec);
    case LayerKind::LSTM:
        return std::make_unique<LstmLayer>(spec);
    case LayerKind::GRU:
        return std::make_unique<GruLayer>(spec);
    case LayerKind::LayerNormalization:
        return std::make_unique<LayerNormalizationLayer>(spec);
    case LayerKind::Masking:
        return std::make_unique<MaskingLayer>(spec);
    case LayerKind::MultiHeadAttention:
        return std::make_unique<MultiHeadAttentionLayer>(spec);
    case LayerKind::TimeDistributed:
        throw Error("layer '" + spec.name +
                    "' (TimeDistributed): not unwrapped into its inner Dense (readers do that)");
    case LayerKind::SeparableConv2D:
        throw Error("layer '" + spec.name +
                    "' (SeparableConv2D): not split into DepthwiseConv2D + 1x1 Conv2D (readers do that)");
    }
    throw Error("layer '" + spec.name + "': unsupported layer kind");
}

} // namespace circnn::nn
