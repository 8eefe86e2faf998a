#pragma once
// std::allocator replacement returning 64-byte aligned memory (a cache line; enough for AVX-512
// loads and for FFTW's SIMD alignment requirement), so std::vector<float, AlignedAllocator<float>>
// can be handed to FFTW new-array execute functions and to aligned SIMD loads.

#include <cstddef>
#include <new>
#include <vector>

namespace circnn {

inline constexpr std::size_t kSimdAlignment = 64;

template <typename T>
struct AlignedAllocator {
    using value_type = T;
    AlignedAllocator() noexcept = default;
    template <typename U>
    AlignedAllocator(const AlignedAllocator<U>&) noexcept {}

    T* allocate(std::size_t n)
    {
        if (n > static_cast<std::size_t>(-1) / sizeof(T))
            throw std::bad_array_new_length();
        return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t{kSimdAlignment}));
    }
    void deallocate(T* p, std::size_t) noexcept { ::operator delete(p, std::align_val_t{kSimdAlignment}); }

    template <typename U>
    bool operator==(const AlignedAllocator<U>&) const noexcept { return true; }
};

template <typename T>
using AlignedVector = std::vector<T, AlignedAllocator<T>>;

} // namespace circnn
