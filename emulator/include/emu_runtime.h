/* The emulated device's internal C interface: the kernel registry (filled by the host builds of kernels/src),
 * the device memory registry (driver.c) and the launch entry point (runtime.cpp). Not part of any CUDA API. */
#ifndef EMU_RUNTIME_H
#define EMU_RUNTIME_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One kernel's host build: entry(params) runs the kernel body for the calling emulated thread, params being
 * cuLaunchKernel's void** (one pointer per argument to that argument's value). */
typedef struct emu_kernel {
    const char *name;
    void (*entry)(void **params);
    int param_count;
    const unsigned char *param_is_pointer; /* param_count flags: 1 where the parameter is a pointer */
} emu_kernel;

#define EMU_API __attribute__((visibility("default")))

EMU_API void emu_register_kernel(const emu_kernel *kernel);
EMU_API const emu_kernel *emu_find_kernel(const char *name);

/* A device allocation: size bytes at data, inside a mapping [region, region + region_size) whose first and last
 * pages are inaccessible guard pages; the bytes between the guards and the data hold a canary pattern. */
typedef struct emu_allocation {
    unsigned char *data;
    size_t size;
    unsigned char *region;
    size_t region_size;
} emu_allocation;

/* The allocation whose data holds p, or NULL. */
EMU_API const emu_allocation *emu_allocation_holding(const void *p);
/* The allocation whose whole mapping (guards included) holds p, or NULL. */
EMU_API const emu_allocation *emu_allocation_near(const void *p);
/* Whether the canary bytes around a's data are intact. */
EMU_API int emu_canary_intact(const emu_allocation *a);

/* Runs one launch to completion (blocks one after another, each block's threads as fibers); dynamic_shared
 * bytes of shared memory per block. Returns 0, or a CUresult with a message naming the kernel in error. */
EMU_API int emu_run(const emu_kernel *kernel, const unsigned grid[3], const unsigned block[3], unsigned dynamic_shared,
            void **params, char *error, size_t error_size);

/* Serialises the device: memory, copies and launches run under this one lock. */
EMU_API void emu_lock(void);
EMU_API void emu_unlock(void);

#ifdef __cplusplus
}
#endif

#endif
