// Runs kernel launches of the emulated device. Each CUDA thread of a block is a fiber on the calling host thread
// (its own stack, switched by emu_switch below); a fiber runs until it reaches __syncthreads, a warp collective (shuffle, ldmatrix, mma) or its
// end. A block barrier opens when every thread still running waits at it; a warp collective completes when all
// 32 lanes have arrived, and the last one to arrive computes every lane's result. Blocks run one after another.
//
// Race check: every launch runs twice from the same memory, the second time with blocks and threads in reverse
// order; the buffers the kernel received must come out bit for bit equal, else a race (a missing barrier, two
// threads writing one place) is reported. Out-of-bounds access: device buffers sit between guard pages (see
// driver.c), a fault during a kernel ends the launch with an error naming the kernel and the buffer.
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>  // only for the fault handler's register context
#include <pthread.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "cuda_host.h"

#if !defined(__x86_64__)
#error "the emulator's fiber switch is written for x86-64"
#endif

// emu_switch(from, to): saves the callee-saved registers and the SSE/x87 control words on the current stack,
// stores the stack pointer in *from, and resumes the fiber whose stack pointer is `to`. A fiber's stack starts
// as if it had called emu_switch from fiber_start. No system call (ucontext's swapcontext makes one per switch).
// emu_switch_resume is its second half, where the fault handler sends a faulting fiber's host thread.
extern "C" void emu_switch(void **from, void *to);
extern "C" void emu_switch_resume();
asm(R"(
    .text
    .globl emu_switch
    .hidden emu_switch
    .globl emu_switch_resume
    .hidden emu_switch_resume
    .type emu_switch, @function
emu_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $8, %rsp
    stmxcsr (%rsp)
    fnstcw 4(%rsp)
    movq %rsp, (%rdi)
    movq %rsi, %rsp
emu_switch_resume:
    ldmxcsr (%rsp)
    fldcw 4(%rsp)
    addq $8, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size emu_switch, .-emu_switch
)");

namespace {

constexpr size_t STACK_BYTES = 256 * 1024;
constexpr int WARP = 32;

enum class State { Runnable, AtBarrier, AtWarp, Done };
enum class WarpOp { None, Shuffle, LdMatrix, Mma };

struct PendingCopy {
    unsigned int dst;
    const void *src;
    int src_bytes, bytes;
    long group;
};

struct Fiber {
    void *sp = nullptr;  // saved stack pointer while switched out
    unsigned char *stack = nullptr;
    uint3 index;
    State state = State::Done;
    // the warp collective this lane waits in, and its operands
    WarpOp op = WarpOp::None;
    int kind = 0, arg = 0, bytes = 0;
    const void *in = nullptr;
    void *out = nullptr;
    const unsigned int *a = nullptr;
    unsigned int b0 = 0, b1 = 0;
    std::vector<PendingCopy> copies;
    long committed = 0;
};

struct Launch {
    const emu_kernel *kernel;
    void **params;
    uint3 grid, block, block_index;
    unsigned dynamic_shared;
    int threads;
    bool reverse;
    std::vector<Fiber> *fibers;
    std::vector<unsigned char> *shared;
    void *scheduler;  // the host thread's stack pointer while a fiber runs
    Fiber *current;
    std::vector<int> arrived;  // per warp: lanes waiting in the current collective
    bool failed;
    int status;
    std::string message;
};

Launch *active;                 // the launch in progress (launches are serialised by emu_lock)
volatile sig_atomic_t running;  // whether a kernel runs, on which host thread
pthread_t running_thread;
struct sigaction previous_segv, previous_bus;

std::map<std::string, const emu_kernel *> &registry() {
    static std::map<std::string, const emu_kernel *> kernels;
    return kernels;
}

std::string block_name() {
    char b[96];
    snprintf(b, sizeof b, "block (%u,%u,%u)", active->block_index.x, active->block_index.y, active->block_index.z);
    return b;
}

std::string thread_name(const Fiber &f) {
    char b[64];
    snprintf(b, sizeof b, "thread (%u,%u,%u)", f.index.x, f.index.y, f.index.z);
    return b;
}

/** Ends the launch from inside a fiber: records the error and returns to the scheduler for good. */
[[noreturn]] void fail(int status, const std::string &what) {
    Launch *l = active;
    if (!l->failed) {
        l->failed = true;
        l->status = status;
        l->message = "kernel " + std::string(l->kernel->name) + ", " + block_name() + ", "
                + thread_name(*l->current) + ": " + what;
    }
    emu_switch(&l->current->sp, l->scheduler);  // never resumed
    abort();
}

Fiber &self() { return *active->current; }

int linear(const Fiber &f) {
    const uint3 &b = active->block;
    return (int) (f.index.x + b.x * (f.index.y + b.y * f.index.z));
}

void yield() { emu_switch(&self().sp, active->scheduler); }

void segv_handler(int sig, siginfo_t *info, void *context) {
    if (running && pthread_equal(pthread_self(), running_thread) && active && active->current) {
        const unsigned char *addr = (const unsigned char *) info->si_addr;
        const emu_allocation *a = emu_allocation_near(addr);
        bool write = (((ucontext_t *) context)->uc_mcontext.gregs[REG_ERR] & 2) != 0;
        char what[256];
        if (a && addr >= a->data + a->size)
            snprintf(what, sizeof what, "%s %zu bytes past the end of a %zu-byte device buffer at %p",
                     write ? "wrote" : "read", (size_t) (addr - (a->data + a->size)) + 1, a->size, (void *) a->data);
        else if (a)
            snprintf(what, sizeof what, "%s %zu bytes before the start of a %zu-byte device buffer at %p",
                     write ? "wrote" : "read", (size_t) (a->data - addr), a->size, (void *) a->data);
        else
            snprintf(what, sizeof what, "%s address %p, which is in no device buffer", write ? "wrote" : "read",
                     (const void *) addr);
        if (!active->failed) {
            active->failed = true;
            active->status = 700;  // CUDA_ERROR_ILLEGAL_ADDRESS
            active->message = "kernel " + std::string(active->kernel->name) + ", " + block_name() + ", "
                    + thread_name(*active->current) + ": " + what;
        }
        // Return from the handler into the scheduler, as if the fiber had switched to it; the fiber is dropped.
        greg_t *regs = ((ucontext_t *) context)->uc_mcontext.gregs;
        regs[REG_RSP] = (greg_t) active->scheduler;
        regs[REG_RIP] = (greg_t) emu_switch_resume;
        return;
    }
    struct sigaction &prev = sig == SIGSEGV ? previous_segv : previous_bus;
    if (prev.sa_flags & SA_SIGINFO) prev.sa_sigaction(sig, info, context);
    else if (prev.sa_handler != SIG_IGN && prev.sa_handler != SIG_DFL) prev.sa_handler(sig);
    else { signal(sig, SIG_DFL); raise(sig); }
}

void install_fault_handler() {
    static bool installed = false;
    if (installed) return;
    installed = true;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = segv_handler;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &previous_segv);
    sigaction(SIGBUS, &sa, &previous_bus);
}

void land_copies(Fiber &f, long group);

[[noreturn]] void fiber_start() {
    Launch *l = active;
    l->kernel->entry(l->params);
    land_copies(self(), self().committed + 1);  // a thread that ends lands what it queued
    self().state = State::Done;
    emu_switch(&self().sp, l->scheduler);  // never resumed
    abort();
}

/** A stack pointer that emu_switch resumes into fiber_start: control words, six registers, return address. */
void *fresh_stack_pointer(unsigned char *stack) {
    uintptr_t top = ((uintptr_t) stack + STACK_BYTES) & ~(uintptr_t) 15;
    void **slot = (void **) (top - 16);  // after `ret`, rsp = top - 8, as at a function's entry
    slot[0] = (void *) fiber_start;
    slot[1] = nullptr;
    unsigned int *control = (unsigned int *) (top - 72);
    unsigned int mxcsr;
    unsigned short fpu;
    asm volatile("stmxcsr %0" : "=m"(mxcsr));
    asm volatile("fnstcw %0" : "=m"(fpu));
    control[0] = mxcsr;
    control[1] = fpu;
    for (int r = 0; r < 6; r++) ((void **) (top - 64))[r] = nullptr;  // r15 .. rbp
    return (void *) (top - 72);
}

unsigned char *new_stack() {
    void *p = mmap(nullptr, STACK_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) { perror("emulated CUDA device: fiber stack"); abort(); }
    mprotect(p, 4096, PROT_NONE);  // overflow faults instead of corrupting the next stack
    return (unsigned char *) p;
}

// ---- warp collectives ---------------------------------------------------------------------------------------

const char *op_name(WarpOp op) {
    switch (op) {
        case WarpOp::Shuffle: return "a warp shuffle";
        case WarpOp::LdMatrix: return "ldmatrix";
        case WarpOp::Mma: return "mma.sync";
        default: return "nothing";
    }
}

/** The lanes of the calling fiber's warp (block-linear thread ids), in lane order. */
int warp_lanes(int warp, Fiber **lanes) {
    std::vector<Fiber> &fibers = *active->fibers;
    int first = warp * WARP, n = std::min(WARP, active->threads - first);
    for (int i = 0; i < n; i++) lanes[i] = &fibers[first + i];
    return n;
}

unsigned short bf16_bits(unsigned int reg, int half) { return (unsigned short) (half ? reg >> 16 : reg & 0xffff); }

float bf16_value(unsigned short bits) { return __uint_as_float(((unsigned int) bits) << 16); }

void complete_shuffle(Fiber **lanes, int n) {
    unsigned char values[WARP][8];
    for (int l = 0; l < n; l++) memcpy(values[l], lanes[l]->in, (size_t) lanes[l]->bytes);
    for (int l = 0; l < n; l++) {
        Fiber &f = *lanes[l];
        int src = l;
        switch (f.kind) {
            case 0: src = l ^ f.arg; break;
            case 1: src = f.arg & (WARP - 1); break;
            case 2: src = l + f.arg < n ? l + f.arg : l; break;
            case 3: src = l - f.arg >= 0 ? l - f.arg : l; break;
        }
        if (src >= n) fail(719, "shuffle from lane " + std::to_string(src) + ", which this block does not have");
        memcpy(f.out, values[src], (size_t) f.bytes);
    }
}

// ldmatrix .m8n8.x4 .b16: lanes 8i..8i+7 give the row addresses of matrix i; lane l receives, in register i,
// matrix i's row l/4, columns 2(l%4) and 2(l%4)+1 (the lower column in the low half); .trans gives the
// transposed matrix, so element (2(l%4)+j, l/4).
void complete_ldmatrix(Fiber **lanes, int n) {
    if (n != WARP) fail(719, "ldmatrix needs a full warp");
    unsigned short m[4][8][8];
    for (int i = 0; i < 4; i++)
        for (int r = 0; r < 8; r++) {
            const unsigned short *row = (const unsigned short *) emu_shared_at((unsigned int) lanes[8 * i + r]->arg, 16);
            memcpy(m[i][r], row, 16);
        }
    for (int l = 0; l < WARP; l++) {
        unsigned int *out = (unsigned int *) lanes[l]->out;
        int transpose = lanes[l]->kind;
        for (int i = 0; i < 4; i++) {
            unsigned short lo, hi;
            if (transpose) { lo = m[i][2 * (l % 4)][l / 4]; hi = m[i][2 * (l % 4) + 1][l / 4]; }
            else { lo = m[i][l / 4][2 * (l % 4)]; hi = m[i][l / 4][2 * (l % 4) + 1]; }
            out[i] = ((unsigned int) hi << 16) | lo;
        }
    }
}

// mma.sync.m16n8k16.row.col.f32.bf16.bf16.f32, with g = lane / 4 and t = lane % 4:
//   A (16x16) registers a0..a3 hold (g, 2t..2t+1), (g+8, 2t..), (g, 2t+8..), (g+8, 2t+8..);
//   B (16x8) registers b0, b1 hold (k = 2t..2t+1, n = g) and (k = 2t+8.., n = g);
//   C, D (16x8 fp32) c0..c3 are (g, 2t), (g, 2t+1), (g+8, 2t), (g+8, 2t+1).
void complete_mma(Fiber **lanes, int n) {
    if (n != WARP) fail(719, "mma.sync needs a full warp");
    float a[16][16], b[16][8], c[16][8];
    for (int l = 0; l < WARP; l++) {
        const Fiber &f = *lanes[l];
        int g = l / 4, t = l % 4;
        for (int r = 0; r < 4; r++)
            for (int h = 0; h < 2; h++)
                a[g + 8 * (r & 1)][2 * t + h + 8 * (r >> 1)] = bf16_value(bf16_bits(f.a[r], h));
        for (int h = 0; h < 2; h++) {
            b[2 * t + h][g] = bf16_value(bf16_bits(f.b0, h));
            b[2 * t + h + 8][g] = bf16_value(bf16_bits(f.b1, h));
        }
        const float *cin = (const float *) f.out;
        for (int e = 0; e < 4; e++) c[g + 8 * (e >> 1)][2 * t + (e & 1)] = cin[e];
    }
    for (int l = 0; l < WARP; l++) {
        float *d = (float *) lanes[l]->out;
        int g = l / 4, t = l % 4;
        for (int e = 0; e < 4; e++) {
            int row = g + 8 * (e >> 1), col = 2 * t + (e & 1);
            float s = c[row][col];
            for (int k = 0; k < 16; k++) s += a[row][k] * b[k][col];
            d[e] = s;
        }
    }
}

/** Waits in a warp collective; the last lane to arrive computes every lane's result. */
void warp_collective(WarpOp op) {
    Fiber &f = self();
    int me = linear(f), warp = me / WARP;
    f.op = op;
    f.state = State::AtWarp;
    Fiber *lanes[WARP];
    int n = warp_lanes(warp, lanes);
    if (++active->arrived[warp] < n) {
        yield();
        return;
    }
    active->arrived[warp] = 0;
    for (int l = 0; l < n; l++)
        if (lanes[l]->op != op)
            fail(719, std::string("warp ") + std::to_string(warp) + " diverged: lane " + std::to_string(l) + " is in "
                    + op_name(lanes[l]->op) + " while another is in " + op_name(op));
    switch (op) {
        case WarpOp::Shuffle: complete_shuffle(lanes, n); break;
        case WarpOp::LdMatrix: complete_ldmatrix(lanes, n); break;
        case WarpOp::Mma: complete_mma(lanes, n); break;
        default: break;
    }
    for (int l = 0; l < n; l++) { lanes[l]->op = WarpOp::None; lanes[l]->state = State::Runnable; }
}

// ---- cp.async: copies queue in commit groups and land at cp.async.wait_group ---------------------------------

/** Lands the fiber's queued copies of the groups numbered below `group`. */
void land_copies(Fiber &f, long group) {
    std::vector<PendingCopy> still;
    for (const PendingCopy &c : f.copies) {
        if (c.group >= group) { still.push_back(c); continue; }
        unsigned char *dst = (unsigned char *) emu_shared_at(c.dst, (unsigned int) c.bytes);
        if (c.src_bytes > 0) memcpy(dst, c.src, (size_t) c.src_bytes);
        memset(dst + c.src_bytes, 0, (size_t) (c.bytes - c.src_bytes));
    }
    f.copies.swap(still);
}

// ---- one block, one launch ------------------------------------------------------------------------------------

void run_block(Launch &l) {
    std::vector<Fiber> &fibers = *l.fibers;
    // Shared memory starts with the same bytes in both runs of the race check (0xff: NaN as floats).
    std::fill(l.shared->begin(), l.shared->end(), (unsigned char) 0xff);
    for (int t = 0; t < l.threads; t++) {
        Fiber &f = fibers[t];
        f.index = {(unsigned) (t % l.block.x), (unsigned) ((t / l.block.x) % l.block.y), (unsigned) (t / (l.block.x * l.block.y))};
        f.state = State::Runnable;
        f.op = WarpOp::None;
        f.copies.clear();
        f.committed = 0;
        if (!f.stack) f.stack = new_stack();
        f.sp = fresh_stack_pointer(f.stack);
    }
    std::fill(l.arrived.begin(), l.arrived.end(), 0);
    for (;;) {
        bool ran = false;
        for (int i = 0; i < l.threads; i++) {
            Fiber &f = fibers[l.reverse ? l.threads - 1 - i : i];
            if (f.state != State::Runnable) continue;
            l.current = &f;
            ran = true;
            emu_switch(&l.scheduler, f.sp);
            l.current = nullptr;
            if (l.failed) return;
        }
        int done = 0, barrier = 0, warp = 0;
        for (int t = 0; t < l.threads; t++) {
            done += fibers[t].state == State::Done;
            barrier += fibers[t].state == State::AtBarrier;
            warp += fibers[t].state == State::AtWarp;
        }
        if (done == l.threads) return;
        if (barrier > 0 && barrier + done == l.threads) {
            for (Fiber &f : fibers) if (f.state == State::AtBarrier) f.state = State::Runnable;
            continue;
        }
        if (!ran) {
            l.failed = true;
            l.status = 719;  // CUDA_ERROR_LAUNCH_FAILED
            l.message = "kernel " + std::string(l.kernel->name) + ", " + block_name() + ": deadlock, "
                    + std::to_string(barrier) + " threads wait at __syncthreads, " + std::to_string(warp)
                    + " in a warp collective whose warp has exited or waits elsewhere, " + std::to_string(done) + " have exited";
            return;
        }
    }
}

/** One run of the whole grid, in forward or reverse order; false when it failed. */
bool run_grid(Launch &l) {
    install_fault_handler();
    running_thread = pthread_self();
    running = 1;
    long blocks = (long) l.grid.x * l.grid.y * l.grid.z;
    for (long i = 0; i < blocks && !l.failed; i++) {
        long b = l.reverse ? blocks - 1 - i : i;
        l.block_index = {(unsigned) (b % l.grid.x), (unsigned) ((b / l.grid.x) % l.grid.y), (unsigned) (b / ((long) l.grid.x * l.grid.y))};
        run_block(l);
    }
    running = 0;
    return !l.failed;
}

/** The allocations a launch's pointer arguments point into, each once. */
std::vector<const emu_allocation *> buffers_of(const emu_kernel *k, void **params) {
    std::vector<const emu_allocation *> out;
    for (int i = 0; i < k->param_count; i++) {
        if (!k->param_is_pointer[i]) continue;
        const void *p = *(void *const *) params[i];
        const emu_allocation *a = p ? emu_allocation_holding(p) : nullptr;
        if (a && std::find(out.begin(), out.end(), a) == out.end()) out.push_back(a);
    }
    return out;
}

int report(Launch &l, char *error, size_t error_size) {
    snprintf(error, error_size, "%s", l.message.c_str());
    return l.status;
}

bool canaries_intact(Launch &l, const std::vector<const emu_allocation *> &buffers) {
    for (const emu_allocation *a : buffers)
        if (!emu_canary_intact(a)) {
            char b[256];
            snprintf(b, sizeof b, "kernel %s wrote just outside a %zu-byte device buffer at %p (its guard bytes changed)",
                     l.kernel->name, a->size, (void *) a->data);
            l.failed = true;
            l.status = 700;
            l.message = b;
            return false;
        }
    return true;
}

}  // namespace

// ---- the interface of cuda_host.h ---------------------------------------------------------------------------

extern "C" const uint3 *emu_thread_idx(void) { return &self().index; }
extern "C" const uint3 *emu_block_idx(void) { return &active->block_index; }
extern "C" const uint3 *emu_block_dim(void) { return &active->block; }
extern "C" const uint3 *emu_grid_dim(void) { return &active->grid; }

extern "C" void *emu_dynamic_shared(void) { return active->shared->data(); }

extern "C" unsigned int emu_shared_offset(const void *p) {
    const unsigned char *base = active->shared->data(), *q = (const unsigned char *) p;
    if (q < base || q >= base + active->dynamic_shared)
        fail(700, "a shared-memory address that is not in the launch's dynamic shared memory ("
                + std::to_string(active->dynamic_shared) + " bytes)");
    return (unsigned int) (q - base);
}

extern "C" void *emu_shared_at(unsigned int offset, unsigned int bytes) {
    if ((size_t) offset + bytes > active->dynamic_shared)
        fail(700, "shared memory bytes [" + std::to_string(offset) + ", " + std::to_string(offset + bytes)
                + ") are past the launch's " + std::to_string(active->dynamic_shared) + " bytes of dynamic shared memory");
    if (offset % 16 != 0 && bytes == 16) fail(700, "a 16-byte shared-memory access at offset " + std::to_string(offset) + " is misaligned");
    return active->shared->data() + offset;
}

extern "C" void emu_syncthreads(void) {
    self().state = State::AtBarrier;
    yield();
}

extern "C" void emu_shuffle(int kind, unsigned mask, const void *value, void *out, int bytes, int arg) {
    if (mask != 0xffffffffu) fail(719, "the emulator supports only full-warp shuffles (mask 0xffffffff)");
    Fiber &f = self();
    f.kind = kind;
    f.in = value;
    f.out = out;
    f.bytes = bytes;
    f.arg = arg;
    warp_collective(WarpOp::Shuffle);
}

extern "C" void emu_ldmatrix_x4(unsigned int shared_offset, unsigned int out[4], int transpose) {
    Fiber &f = self();
    f.kind = transpose;
    f.arg = (int) shared_offset;
    f.out = out;
    warp_collective(WarpOp::LdMatrix);
}

extern "C" void emu_mma_bf16_16816(float c[4], const unsigned int a[4], unsigned int b0, unsigned int b1) {
    Fiber &f = self();
    f.a = a;
    f.b0 = b0;
    f.b1 = b1;
    f.out = c;
    warp_collective(WarpOp::Mma);
}

extern "C" void emu_cp_async(unsigned int shared_offset, const void *src, int src_bytes, int bytes) {
    if (src_bytes < 0 || src_bytes > bytes) fail(719, "cp.async with src-size " + std::to_string(src_bytes));
    emu_shared_at(shared_offset, (unsigned int) bytes);  // checks the destination now
    Fiber &f = self();
    f.copies.push_back({shared_offset, src, src_bytes, bytes, f.committed});
}

extern "C" void emu_cp_async_commit(void) { self().committed++; }

extern "C" void emu_cp_async_wait(int pending_groups) {
    Fiber &f = self();
    land_copies(f, f.committed - pending_groups);
}

// ---- registry and launches ----------------------------------------------------------------------------------

extern "C" void emu_register_kernel(const emu_kernel *kernel) { registry()[kernel->name] = kernel; }

extern "C" const emu_kernel *emu_find_kernel(const char *name) {
    auto it = registry().find(name);
    return it == registry().end() ? nullptr : it->second;
}

extern "C" int emu_run(const emu_kernel *kernel, const unsigned grid[3], const unsigned block[3], unsigned dynamic_shared,
                       void **params, char *error, size_t error_size) {
    static std::vector<Fiber> fibers(1024);
    static std::vector<unsigned char> shared;
    Launch l{};
    l.kernel = kernel;
    l.params = params;
    l.grid = {grid[0], grid[1], grid[2]};
    l.block = {block[0], block[1], block[2]};
    l.dynamic_shared = dynamic_shared;
    l.threads = (int) (block[0] * block[1] * block[2]);
    l.fibers = &fibers;
    shared.assign(std::max(16u, dynamic_shared), 0);
    l.shared = &shared;
    l.arrived.assign((size_t) (l.threads + WARP - 1) / WARP, 0);
    active = &l;

    // The race check: run forward from a snapshot, keep the result, restore, run in reverse, compare.
    std::vector<const emu_allocation *> buffers = buffers_of(kernel, params);
    std::vector<std::vector<unsigned char>> before(buffers.size()), forward(buffers.size());
    for (size_t i = 0; i < buffers.size(); i++) before[i].assign(buffers[i]->data, buffers[i]->data + buffers[i]->size);
    l.reverse = false;
    if (!run_grid(l) || !canaries_intact(l, buffers)) { active = nullptr; return report(l, error, error_size); }
    for (size_t i = 0; i < buffers.size(); i++) {
        forward[i].assign(buffers[i]->data, buffers[i]->data + buffers[i]->size);
        memcpy(buffers[i]->data, before[i].data(), buffers[i]->size);
    }
    l.reverse = true;
    if (!run_grid(l) || !canaries_intact(l, buffers)) { active = nullptr; return report(l, error, error_size); }
    active = nullptr;
    for (size_t i = 0; i < buffers.size(); i++) {
        const unsigned char *a = forward[i].data(), *b = buffers[i]->data;
        size_t n = buffers[i]->size, at = 0;
        while (at < n && a[at] == b[at]) at++;
        if (at < n) {
            size_t differing = 0;
            for (size_t j = at; j < n; j++) differing += a[j] != b[j];
            snprintf(error, error_size,
                     "kernel %s has a race: a %zu-byte buffer it was given at %p ends differently when its blocks and "
                     "threads run in another order (%zu bytes differ, the first at byte %zu); a missing __syncthreads "
                     "or threads writing the same place",
                     kernel->name, n, (void *) buffers[i]->data, differing, at);
            return 719;
        }
    }
    return 0;
}
