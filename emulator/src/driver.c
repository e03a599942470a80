/* The emulated device's libcuda.so.1: the CUDA driver API calls the engine makes, defined against the real
 * cuda.h (a signature that differs from it does not compile, and cuda.h's macros give the versioned symbol
 * names, e.g. cuMemAlloc_v2). It behaves as one H200-class GPU (compute capability 9.0) whose memory is host
 * memory and whose kernels are the host builds of kernels/src, run by runtime.cpp. Every call checks what a
 * real driver checks and some it leaves undefined: a current context, bounds of copies, a kernel's block and
 * grid dimensions, and its static plus dynamic shared memory against 48 KB (227 KB with the opt-in attribute). */
#define _GNU_SOURCE
#include <cuda.h>

#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "emu_runtime.h"

#define EXPORT __attribute__((visibility("default")))

enum {
    SM_COUNT = 132,
    MAX_THREADS_PER_BLOCK = 1024,
    MAX_BLOCK_X = 1024, MAX_BLOCK_Y = 1024, MAX_BLOCK_Z = 64,
    MAX_GRID_Y = 65535, MAX_GRID_Z = 65535,
    SHARED_DEFAULT = 48 * 1024,   /* static + dynamic without the opt-in attribute */
    SHARED_OPT_IN = 227 * 1024,   /* cudaDevAttrMaxSharedMemoryPerBlockOptin of sm_90 */
    SHARED_PER_SM = 228 * 1024,
    CANARY = 0xa5,
};
#define MAX_GRID_X 2147483647u
#define EMULATED_MEMORY (16ull << 30) /* the memory the emulated device reports and allows */

/* ---- state ----------------------------------------------------------------------------------------------- */

struct CUctx_st { int device; };
struct CUstream_st { int id; };
struct CUfunc_st {
    char name[256];
    const emu_kernel *kernel;
    int static_shared;       /* from the image's .nv.shared.<name> section */
    int max_dynamic_shared;  /* CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES */
};
struct CUmod_st {
    int count;
    struct CUfunc_st *functions;
};

static int initialized;
static struct CUctx_st primary = {0};
static _Thread_local CUcontext current;
static pthread_mutex_t device_lock = PTHREAD_MUTEX_INITIALIZER;
static size_t allocated;

static emu_allocation **allocations; /* sorted by address */
static int allocation_count, allocation_capacity;

/* The detail of the last error, shown by cuGetErrorString for that code. */
static char detail[1024];
static CUresult detail_code;

static CUresult fail(CUresult code, const char *format, ...) __attribute__((format(printf, 2, 3)));

static CUresult fail(CUresult code, const char *format, ...) {
    va_list args;
    va_start(args, format);
    vsnprintf(detail, sizeof detail, format, args);
    va_end(args);
    detail_code = code;
    return code;
}

void emu_lock(void) { pthread_mutex_lock(&device_lock); }
void emu_unlock(void) { pthread_mutex_unlock(&device_lock); }

static CUresult ready(void) {
    if (!initialized) return fail(CUDA_ERROR_NOT_INITIALIZED, "cuInit was not called");
    if (!current) return fail(CUDA_ERROR_INVALID_CONTEXT, "no context is current on this thread (cuCtxSetCurrent)");
    return CUDA_SUCCESS;
}

/* ---- memory registry ------------------------------------------------------------------------------------- */

static size_t page_size(void) { return (size_t) sysconf(_SC_PAGESIZE); }

/* Index of the last allocation whose region starts at or below p, or -1. */
static int last_at_or_below(const void *p) {
    int lo = 0, hi = allocation_count - 1, found = -1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if ((const unsigned char *) allocations[mid]->region <= (const unsigned char *) p) { found = mid; lo = mid + 1; }
        else hi = mid - 1;
    }
    return found;
}

const emu_allocation *emu_allocation_near(const void *p) {
    int i = last_at_or_below(p);
    if (i < 0) return NULL;
    const emu_allocation *a = allocations[i];
    return (const unsigned char *) p < a->region + a->region_size ? a : NULL;
}

const emu_allocation *emu_allocation_holding(const void *p) {
    const emu_allocation *a = emu_allocation_near(p);
    const unsigned char *q = p;
    return a && q >= a->data && q < a->data + a->size ? a : NULL;
}

int emu_canary_intact(const emu_allocation *a) {
    const unsigned char *inner = a->region + page_size(), *inner_end = a->region + a->region_size - page_size();
    for (const unsigned char *q = inner; q < a->data; q++) if (*q != CANARY) return 0;
    for (const unsigned char *q = a->data + a->size; q < inner_end; q++) if (*q != CANARY) return 0;
    return 1;
}

/* Whether [p, p + bytes) lies in one allocation; else a failure naming what. */
static CUresult check_range(const char *what, CUdeviceptr p, size_t bytes) {
    const emu_allocation *a = emu_allocation_holding((const void *) (uintptr_t) p);
    if (!a) return fail(CUDA_ERROR_INVALID_VALUE, "%s: 0x%llx is not in any device buffer", what, (unsigned long long) p);
    if ((unsigned char *) (uintptr_t) p + bytes > a->data + a->size)
        return fail(CUDA_ERROR_INVALID_VALUE, "%s of %zu bytes at offset %zu runs past the end of a %zu-byte device buffer",
                    what, bytes, (size_t) ((unsigned char *) (uintptr_t) p - a->data), a->size);
    return CUDA_SUCCESS;
}

/* ---- initialisation, devices, contexts ------------------------------------------------------------------- */

EXPORT CUresult cuInit(unsigned int flags) {
    if (flags != 0) return fail(CUDA_ERROR_INVALID_VALUE, "cuInit flags must be 0");
    initialized = 1;
    return CUDA_SUCCESS;
}

EXPORT CUresult cuDriverGetVersion(int *version) {
    if (!version) return CUDA_ERROR_INVALID_VALUE;
    *version = CUDA_VERSION;
    return CUDA_SUCCESS;
}

EXPORT CUresult cuDeviceGetCount(int *count) {
    if (!initialized) return fail(CUDA_ERROR_NOT_INITIALIZED, "cuInit was not called");
    *count = 1;
    return CUDA_SUCCESS;
}

EXPORT CUresult cuDeviceGet(CUdevice *device, int ordinal) {
    if (!initialized) return fail(CUDA_ERROR_NOT_INITIALIZED, "cuInit was not called");
    if (ordinal != 0) return fail(CUDA_ERROR_INVALID_DEVICE, "the emulator has one device, cuda:0");
    *device = 0;
    return CUDA_SUCCESS;
}

EXPORT CUresult cuDeviceGetName(char *name, int len, CUdevice device) {
    if (device != 0) return CUDA_ERROR_INVALID_DEVICE;
    snprintf(name, (size_t) len, "EMULATED H200 (instruct4j emulator on the host CPU, not a GPU)");
    return CUDA_SUCCESS;
}

EXPORT CUresult cuDeviceGetAttribute(int *value, CUdevice_attribute attribute, CUdevice device) {
    if (device != 0) return CUDA_ERROR_INVALID_DEVICE;
    switch (attribute) {
        case CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK: *value = MAX_THREADS_PER_BLOCK; break;
        case CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_X: *value = MAX_BLOCK_X; break;
        case CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Y: *value = MAX_BLOCK_Y; break;
        case CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Z: *value = MAX_BLOCK_Z; break;
        case CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_X: *value = (int) MAX_GRID_X; break;
        case CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Y: *value = MAX_GRID_Y; break;
        case CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Z: *value = MAX_GRID_Z; break;
        case CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK: *value = SHARED_DEFAULT; break;
        case CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN: *value = SHARED_OPT_IN; break;
        case CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_MULTIPROCESSOR: *value = SHARED_PER_SM; break;
        case CU_DEVICE_ATTRIBUTE_WARP_SIZE: *value = 32; break;
        case CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT: *value = SM_COUNT; break;
        case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR: *value = 9; break;
        case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR: *value = 0; break;
        default: return fail(CUDA_ERROR_NOT_SUPPORTED, "device attribute %d is not emulated", (int) attribute);
    }
    return CUDA_SUCCESS;
}

EXPORT CUresult cuDeviceTotalMem(size_t *bytes, CUdevice device) {
    if (device != 0) return CUDA_ERROR_INVALID_DEVICE;
    *bytes = EMULATED_MEMORY;
    return CUDA_SUCCESS;
}

EXPORT CUresult cuDevicePrimaryCtxRetain(CUcontext *context, CUdevice device) {
    if (!initialized) return fail(CUDA_ERROR_NOT_INITIALIZED, "cuInit was not called");
    if (device != 0) return CUDA_ERROR_INVALID_DEVICE;
    *context = &primary;
    return CUDA_SUCCESS;
}

EXPORT CUresult cuCtxSetCurrent(CUcontext context) {
    if (context != NULL && context != &primary) return fail(CUDA_ERROR_INVALID_CONTEXT, "not a context of this device");
    current = context;
    return CUDA_SUCCESS;
}

/* ---- streams: work is done when its call returns ---------------------------------------------- */

static struct CUstream_st streams[64];
static int stream_count;

EXPORT CUresult cuStreamCreate(CUstream *stream, unsigned int flags) {
    CUresult r = ready();
    if (r) return r;
    (void) flags;
    emu_lock();
    if (stream_count == 64) { emu_unlock(); return fail(CUDA_ERROR_OUT_OF_MEMORY, "more than 64 streams"); }
    streams[stream_count].id = stream_count + 1;
    *stream = &streams[stream_count++];
    emu_unlock();
    return CUDA_SUCCESS;
}

static CUresult check_stream(CUstream stream) {
    if (stream == NULL) return CUDA_SUCCESS;
    if (stream < streams || stream >= streams + stream_count) return fail(CUDA_ERROR_INVALID_HANDLE, "not a stream");
    return CUDA_SUCCESS;
}

EXPORT CUresult cuStreamSynchronize(CUstream stream) {
    CUresult r = ready();
    return r ? r : check_stream(stream);
}

/* ---- memory ---------------------------------------------------------------------------------------------- */

EXPORT CUresult cuMemAlloc(CUdeviceptr *pointer, size_t bytes) {
    CUresult r = ready();
    if (r) return r;
    if (bytes == 0) return fail(CUDA_ERROR_INVALID_VALUE, "cuMemAlloc of 0 bytes");
    emu_lock();
    if (allocated + bytes > EMULATED_MEMORY) {
        emu_unlock();
        return fail(CUDA_ERROR_OUT_OF_MEMORY, "%zu bytes requested, %zu of the emulated %llu in use", bytes, allocated,
                    (unsigned long long) EMULATED_MEMORY);
    }
    /* [guard page][canary][data, right-aligned to 16 bytes][canary < 16 bytes][guard page] */
    size_t page = page_size(), rounded = (bytes + 15) & ~(size_t) 15;
    size_t inner = (rounded + page - 1) / page * page, region_size = inner + 2 * page;
    unsigned char *region = mmap(NULL, region_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (region == MAP_FAILED) { emu_unlock(); return fail(CUDA_ERROR_OUT_OF_MEMORY, "host mmap of %zu bytes failed", region_size); }
    mprotect(region, page, PROT_NONE);
    mprotect(region + page + inner, page, PROT_NONE);
    memset(region + page, CANARY, inner);
    emu_allocation *a = malloc(sizeof *a);
    a->region = region;
    a->region_size = region_size;
    a->data = region + page + inner - rounded;
    a->size = bytes;
    if (allocation_count == allocation_capacity) {
        allocation_capacity = allocation_capacity ? 2 * allocation_capacity : 256;
        allocations = realloc(allocations, (size_t) allocation_capacity * sizeof *allocations);
    }
    int at = last_at_or_below(region) + 1;
    memmove(allocations + at + 1, allocations + at, (size_t) (allocation_count - at) * sizeof *allocations);
    allocations[at] = a;
    allocation_count++;
    allocated += bytes;
    *pointer = (CUdeviceptr) (uintptr_t) a->data;
    emu_unlock();
    return CUDA_SUCCESS;
}

EXPORT CUresult cuMemFree(CUdeviceptr pointer) {
    CUresult r = ready();
    if (r) return r;
    emu_lock();
    const emu_allocation *found = emu_allocation_holding((const void *) (uintptr_t) pointer);
    if (!found || found->data != (unsigned char *) (uintptr_t) pointer) {
        emu_unlock();
        return fail(CUDA_ERROR_INVALID_VALUE, "cuMemFree of 0x%llx, which is not the start of a device buffer",
                    (unsigned long long) pointer);
    }
    int i = last_at_or_below(found->region);
    emu_allocation *a = allocations[i];
    memmove(allocations + i, allocations + i + 1, (size_t) (allocation_count - i - 1) * sizeof *allocations);
    allocation_count--;
    allocated -= a->size;
    munmap(a->region, a->region_size);  /* a later use of the pointer faults */
    free(a);
    emu_unlock();
    return CUDA_SUCCESS;
}

EXPORT CUresult cuMemcpyHtoD(CUdeviceptr dst, const void *src, size_t bytes) {
    CUresult r = ready();
    if (r) return r;
    emu_lock();
    if (!(r = check_range("cuMemcpyHtoD", dst, bytes))) memcpy((void *) (uintptr_t) dst, src, bytes);
    emu_unlock();
    return r;
}

EXPORT CUresult cuMemcpyDtoH(void *dst, CUdeviceptr src, size_t bytes) {
    CUresult r = ready();
    if (r) return r;
    emu_lock();
    if (!(r = check_range("cuMemcpyDtoH", src, bytes))) memcpy(dst, (const void *) (uintptr_t) src, bytes);
    emu_unlock();
    return r;
}

EXPORT CUresult cuMemcpyDtoDAsync(CUdeviceptr dst, CUdeviceptr src, size_t bytes, CUstream stream) {
    CUresult r = ready();
    if (r || (r = check_stream(stream))) return r;
    emu_lock();
    if (!(r = check_range("cuMemcpyDtoDAsync source", src, bytes)) && !(r = check_range("cuMemcpyDtoDAsync destination", dst, bytes)))
        memmove((void *) (uintptr_t) dst, (const void *) (uintptr_t) src, bytes);
    emu_unlock();
    return r;
}

EXPORT CUresult cuMemsetD8Async(CUdeviceptr dst, unsigned char value, size_t count, CUstream stream) {
    CUresult r = ready();
    if (r || (r = check_stream(stream))) return r;
    emu_lock();
    if (!(r = check_range("cuMemsetD8Async", dst, count))) memset((void *) (uintptr_t) dst, value, count);
    emu_unlock();
    return r;
}

/* ---- modules: the kernels an image names, bound to their host builds ------------------------------------- */

typedef struct { const unsigned char *image; size_t shoff, shentsize; int shnum, shstrndx; } elf;

static const unsigned char *section(const elf *e, int i) { return e->image + e->shoff + (size_t) i * e->shentsize; }
static uint32_t u32(const unsigned char *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t u64(const unsigned char *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static const char *section_name(const elf *e, int i) {
    const unsigned char *names = section(e, e->shstrndx);
    return (const char *) e->image + u64(names + 24) + u32(section(e, i));
}

static void add_function(CUmodule m, const char *name, int static_shared) {
    for (int i = 0; i < m->count; i++)
        if (!strcmp(m->functions[i].name, name)) {
            if (static_shared > m->functions[i].static_shared) m->functions[i].static_shared = static_shared;
            return;
        }
    m->functions = realloc(m->functions, (size_t) (m->count + 1) * sizeof *m->functions);
    struct CUfunc_st *f = &m->functions[m->count++];
    memset(f, 0, sizeof *f);
    snprintf(f->name, sizeof f->name, "%s", name);
    f->static_shared = static_shared;
}

/* A cubin (ELF, machine EM_CUDA): its function symbols, and the size of each .nv.shared.<kernel> section. */
static CUresult read_cubin(CUmodule m, const unsigned char *image) {
    if (image[4] != 2 || u32(image + 18) % 65536 != 190)
        return fail(CUDA_ERROR_INVALID_IMAGE, "the ELF image is not a 64-bit CUDA cubin");
    elf e = {image, u64(image + 40), image[58] | image[59] << 8, image[60] | image[61] << 8, image[62] | image[63] << 8};
    for (int i = 0; i < e.shnum; i++) {
        const unsigned char *sh = section(&e, i);
        if (u32(sh + 4) != 2 /* SHT_SYMTAB */) continue;
        const unsigned char *strtab = section(&e, (int) u32(sh + 40));
        size_t count = u64(sh + 32) / 24;
        for (size_t s = 0; s < count; s++) {
            const unsigned char *sym = image + u64(sh + 24) + s * 24;
            if ((sym[4] & 0xf) == 2 /* STT_FUNC */ && (sym[4] >> 4) == 1 /* STB_GLOBAL */)
                add_function(m, (const char *) image + u64(strtab + 24) + u32(sym), 0);
        }
    }
    /* From sm_80 each kernel's .nv.shared.<name> also holds the 1 KB the system reserves per block (there is then
     * a .nv.shared.reserved.* section); that KB is outside the 48 KB a launch may use. */
    int reserved = 0;
    for (int i = 0; i < e.shnum; i++)
        if (!strncmp(section_name(&e, i), ".nv.shared.reserved.", 20)) reserved = 1024;
    for (int i = 0; i < e.shnum; i++) {
        const char *name = section_name(&e, i);
        if (strncmp(name, ".nv.shared.", 11) || !strncmp(name, ".nv.shared.reserved.", 20)) continue;
        int bytes = (int) u64(section(&e, i) + 32) - reserved;
        for (int f = 0; f < m->count; f++)
            if (!strcmp(m->functions[f].name, name + 11)) m->functions[f].static_shared = bytes > 0 ? bytes : 0;
    }
    return CUDA_SUCCESS;
}

/* PTX text: the names after ".entry". */
static CUresult read_ptx(CUmodule m, const char *text) {
    for (const char *p = strstr(text, ".entry "); p; p = strstr(p + 7, ".entry ")) {
        const char *start = p + 7, *end = start;
        while (*end && *end != '(' && *end != ' ' && *end != '\n') end++;
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int) (end - start), start);
        add_function(m, name, 0);
    }
    return CUDA_SUCCESS;
}

EXPORT CUresult cuModuleLoadData(CUmodule *module, const void *image) {
    CUresult r = ready();
    if (r) return r;
    const unsigned char *bytes = image;
    CUmodule m = calloc(1, sizeof *m);
    if (!memcmp(bytes, "\177ELF", 4)) r = read_cubin(m, bytes);
    else if (strstr((const char *) bytes, ".entry ")) r = read_ptx(m, (const char *) bytes);
    else r = fail(CUDA_ERROR_INVALID_IMAGE, "the image is neither a cubin nor PTX");
    if (r) { free(m->functions); free(m); return r; }
    *module = m;
    return CUDA_SUCCESS;
}

EXPORT CUresult cuModuleGetFunction(CUfunction *function, CUmodule module, const char *name) {
    CUresult r = ready();
    if (r) return r;
    for (int i = 0; i < module->count; i++) {
        struct CUfunc_st *f = &module->functions[i];
        if (strcmp(f->name, name)) continue;
        if (!f->kernel && !(f->kernel = emu_find_kernel(name)))
            return fail(CUDA_ERROR_NOT_FOUND, "kernel %s is in the image but the emulator has no host build of it", name);
        *function = f;
        return CUDA_SUCCESS;
    }
    return fail(CUDA_ERROR_NOT_FOUND, "the module image has no kernel named %s", name);
}

EXPORT CUresult cuFuncGetAttribute(int *value, CUfunction_attribute attribute, CUfunction function) {
    CUresult r = ready();
    if (r) return r;
    switch (attribute) {
        case CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES: *value = function->static_shared; return CUDA_SUCCESS;
        case CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES:
            *value = function->max_dynamic_shared > 0 ? function->max_dynamic_shared : SHARED_DEFAULT - function->static_shared;
            return CUDA_SUCCESS;
        case CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK: *value = MAX_THREADS_PER_BLOCK; return CUDA_SUCCESS;
        default: return fail(CUDA_ERROR_NOT_SUPPORTED, "function attribute %d is not emulated", (int) attribute);
    }
}

EXPORT CUresult cuFuncSetAttribute(CUfunction function, CUfunction_attribute attribute, int value) {
    CUresult r = ready();
    if (r) return r;
    switch (attribute) {
        case CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES:
            if (value < 0 || value + function->static_shared > SHARED_OPT_IN)
                return fail(CUDA_ERROR_INVALID_VALUE, "%s: %d bytes of dynamic shared memory plus %d static exceed the %d a block may opt in to",
                            function->name, value, function->static_shared, SHARED_OPT_IN);
            function->max_dynamic_shared = value;
            return CUDA_SUCCESS;
        case CU_FUNC_ATTRIBUTE_PREFERRED_SHARED_MEMORY_CARVEOUT:
            return CUDA_SUCCESS;
        default:
            return fail(CUDA_ERROR_NOT_SUPPORTED, "function attribute %d is not emulated", (int) attribute);
    }
}

EXPORT CUresult cuLaunchKernel(CUfunction f, unsigned int gridX, unsigned int gridY, unsigned int gridZ,
                               unsigned int blockX, unsigned int blockY, unsigned int blockZ, unsigned int sharedBytes,
                               CUstream stream, void **params, void **extra) {
    CUresult r = ready();
    if (r || (r = check_stream(stream))) return r;
    if (!f) return fail(CUDA_ERROR_INVALID_HANDLE, "cuLaunchKernel of a null function");
    if (extra) return fail(CUDA_ERROR_NOT_SUPPORTED, "%s: the emulator takes kernel parameters, not 'extra'", f->name);
    if (!params && f->kernel->param_count > 0) return fail(CUDA_ERROR_INVALID_VALUE, "%s: no kernel parameters", f->name);
    unsigned long long threads = (unsigned long long) blockX * blockY * blockZ;
    if (threads == 0 || threads > MAX_THREADS_PER_BLOCK || blockX > MAX_BLOCK_X || blockY > MAX_BLOCK_Y || blockZ > MAX_BLOCK_Z)
        return fail(CUDA_ERROR_INVALID_VALUE, "%s: block (%u,%u,%u) exceeds the device's limits (at most %d threads, (%d,%d,%d))",
                    f->name, blockX, blockY, blockZ, MAX_THREADS_PER_BLOCK, MAX_BLOCK_X, MAX_BLOCK_Y, MAX_BLOCK_Z);
    if (gridX == 0 || gridY == 0 || gridZ == 0 || gridX > MAX_GRID_X || gridY > MAX_GRID_Y || gridZ > MAX_GRID_Z)
        return fail(CUDA_ERROR_INVALID_VALUE, "%s: grid (%u,%u,%u) exceeds the device's limits ((%u,%d,%d), none 0)",
                    f->name, gridX, gridY, gridZ, MAX_GRID_X, MAX_GRID_Y, MAX_GRID_Z);
    unsigned int allowed = f->max_dynamic_shared > 0 ? (unsigned) f->max_dynamic_shared
                                                     : (unsigned) (SHARED_DEFAULT - f->static_shared);
    if (sharedBytes > allowed)
        return fail(CUDA_ERROR_INVALID_VALUE, "%s: %u bytes of dynamic shared memory (plus %d static) exceed the %u allowed%s",
                    f->name, sharedBytes, f->static_shared, allowed,
                    f->max_dynamic_shared > 0 ? "" : " without CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES");
    unsigned grid[3] = {gridX, gridY, gridZ}, block[3] = {blockX, blockY, blockZ};
    emu_lock();
    int status = emu_run(f->kernel, grid, block, sharedBytes, params, detail, sizeof detail);
    if (status) detail_code = (CUresult) status;
    emu_unlock();
    return (CUresult) status;
}

/* NVRTC opens libcuda.so.1 when it is loaded and asks it for private tables: there are none here, and NVRTC
 * then compiles without them. */
EXPORT CUresult cuGetExportTable(const void **table, const CUuuid *id) {
    (void) id;
    if (table) *table = NULL;
    return CUDA_ERROR_NOT_SUPPORTED;
}

/* ---- errors ---------------------------------------------------------------------------------------------- */

static const struct { CUresult code; const char *name, *text; } errors[] = {
    {CUDA_SUCCESS, "CUDA_SUCCESS", "no error"},
    {CUDA_ERROR_INVALID_VALUE, "CUDA_ERROR_INVALID_VALUE", "invalid argument"},
    {CUDA_ERROR_OUT_OF_MEMORY, "CUDA_ERROR_OUT_OF_MEMORY", "out of memory"},
    {CUDA_ERROR_NOT_INITIALIZED, "CUDA_ERROR_NOT_INITIALIZED", "initialization error"},
    {CUDA_ERROR_INVALID_DEVICE, "CUDA_ERROR_INVALID_DEVICE", "invalid device ordinal"},
    {CUDA_ERROR_INVALID_IMAGE, "CUDA_ERROR_INVALID_IMAGE", "device kernel image is invalid"},
    {CUDA_ERROR_INVALID_CONTEXT, "CUDA_ERROR_INVALID_CONTEXT", "invalid device context"},
    {CUDA_ERROR_INVALID_HANDLE, "CUDA_ERROR_INVALID_HANDLE", "invalid resource handle"},
    {CUDA_ERROR_NOT_FOUND, "CUDA_ERROR_NOT_FOUND", "named symbol not found"},
    {CUDA_ERROR_ILLEGAL_ADDRESS, "CUDA_ERROR_ILLEGAL_ADDRESS", "an illegal memory access was encountered"},
    {CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES, "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES", "too many resources requested for launch"},
    {CUDA_ERROR_LAUNCH_FAILED, "CUDA_ERROR_LAUNCH_FAILED", "unspecified launch failure"},
    {CUDA_ERROR_NOT_SUPPORTED, "CUDA_ERROR_NOT_SUPPORTED", "operation not supported"},
};

EXPORT CUresult cuGetErrorName(CUresult error, const char **name) {
    for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++)
        if (errors[i].code == error) { *name = errors[i].name; return CUDA_SUCCESS; }
    return CUDA_ERROR_INVALID_VALUE;
}

EXPORT CUresult cuGetErrorString(CUresult error, const char **text) {
    static char message[1400];
    for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++)
        if (errors[i].code == error) {
            if (error == detail_code && detail[0]) {
                snprintf(message, sizeof message, "%s: %s [emulated device]", errors[i].text, detail);
                *text = message;
            } else {
                *text = errors[i].text;
            }
            return CUDA_SUCCESS;
        }
    return CUDA_ERROR_INVALID_VALUE;
}
