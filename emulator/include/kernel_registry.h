// Registers the host build of a kernel under its name: EMU_REGISTER(add_f32) makes an entry that unpacks
// cuLaunchKernel's void** into a typed call of add_f32, and records which parameters are pointers (the buffers
// the race check snapshots). Included after the kernel file, one EMU_REGISTER per kernel (scan-kernels.sh).
#pragma once
#include <cstddef>
#include <type_traits>
#include <utility>

#include "emu_runtime.h"

template <typename... A, std::size_t... I>
inline void emu_apply(void (*kernel)(A...), void **params, std::index_sequence<I...>) {
    kernel(*static_cast<std::remove_cv_t<A> *>(params[I])...);
}

template <typename... A> constexpr std::size_t emu_arity(void (*)(A...)) { return sizeof...(A); }

template <typename... A> const unsigned char *emu_pointer_flags(void (*)(A...)) {
    static const unsigned char flags[] = {(unsigned char) std::is_pointer<A>::value..., 0};
    return flags;
}

template <auto Kernel> void emu_entry(void **params) {
    emu_apply(Kernel, params, std::make_index_sequence<emu_arity(Kernel)>{});
}

struct emu_registration {
    emu_kernel kernel;
    template <typename... A>
    emu_registration(const char *name, void (*f)(A...), void (*entry)(void **))
        : kernel{name, entry, (int) sizeof...(A), emu_pointer_flags(f)} {
        emu_register_kernel(&kernel);
    }
};

#define EMU_REGISTER(name) static emu_registration emu_registration_##name(#name, &name, &emu_entry<&name>);
