// first-calls: runs a program under ptrace with a breakpoint on the entry of every function it is given, and
// writes each function's first call, in the order they happen. tools/method-order.sh uses it to find which
// methods of the NativeAOT daemon run from launch until it idles, so the compiler can place them together
// (IlcOrderFile) and the kernel maps only those pages. A profiling aid for x86-64 Linux, not part of wgsharp.
//
// Usage: first-calls NETNS FUNCTIONS OUT PROGRAM [ARGS...]
//   NETNS      network namespace (a name under /var/run/netns) the program runs in
//   FUNCTIONS  "hexoffset name" per line: function entries relative to the executable's load address
//              (from the symbols of the executable's debug file)
//   OUT        written as the program runs: "offset" per first call, hex, one a line, flushed each time
// Every breakpoint is removed at its first hit, so the program runs at nearly full speed after start-up.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct { uint64_t address; unsigned char original; int armed; } breakpoint;

static breakpoint *breakpoints;
static size_t count;

static int by_address(const void *a, const void *b) {
    uint64_t x = ((const breakpoint *)a)->address, y = ((const breakpoint *)b)->address;
    return x < y ? -1 : x > y;
}

static breakpoint *find(uint64_t address) {
    size_t lo = 0, hi = count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (breakpoints[mid].address == address) return &breakpoints[mid];
        if (breakpoints[mid].address < address) lo = mid + 1; else hi = mid;
    }
    return NULL;
}

static void read_functions(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) { perror(path); exit(2); }
    size_t capacity = 1024;
    breakpoints = malloc(capacity * sizeof *breakpoints);
    char line[16384];
    unsigned long offset;
    while (fgets(line, sizeof line, f)) {
        if (sscanf(line, "%lx", &offset) != 1) continue;
        if (count == capacity) breakpoints = realloc(breakpoints, (capacity *= 2) * sizeof *breakpoints);
        breakpoints[count++] = (breakpoint){ .address = offset };
    }
    fclose(f);
    qsort(breakpoints, count, sizeof *breakpoints, by_address);
    size_t unique = 0; // aliases (folded method bodies) share an entry: one breakpoint each
    for (size_t i = 0; i < count; i++)
        if (unique == 0 || breakpoints[i].address != breakpoints[unique - 1].address) breakpoints[unique++] = breakpoints[i];
    count = unique;
}

// The executable's load address: its mapping at file offset 0 (a position-independent executable moves).
static uint64_t load_address(pid_t pid, const char *program) {
    char maps[64], line[8192], exe[4096];
    snprintf(maps, sizeof maps, "/proc/%d/maps", pid);
    if (!realpath(program, exe)) { perror(program); exit(2); }
    FILE *f = fopen(maps, "r");
    uint64_t found = 0;
    while (!found && fgets(line, sizeof line, f)) {
        unsigned long start, offset;
        char path[4096] = "";
        if (sscanf(line, "%lx-%*x %*s %lx %*s %*s %4095s", &start, &offset, path) >= 2 && offset == 0 && strcmp(path, exe) == 0)
            found = start;
    }
    fclose(f);
    if (!found) { fprintf(stderr, "first-calls: %s is not mapped\n", exe); exit(2); }
    return found;
}

static void poke_byte(pid_t pid, uint64_t address, unsigned char value) {
    long word = ptrace(PTRACE_PEEKTEXT, pid, (void *)address, 0);
    ptrace(PTRACE_POKETEXT, pid, (void *)address, (void *)((word & ~0xffL) | value));
}

int main(int argc, char **argv) {
    if (argc < 5) { fprintf(stderr, "usage: first-calls NETNS FUNCTIONS OUT PROGRAM [ARGS...]\n"); return 2; }
    read_functions(argv[2]);
    FILE *out = fopen(argv[3], "w");
    if (!out) { perror(argv[3]); return 2; }
    char netns[512];
    snprintf(netns, sizeof netns, "/var/run/netns/%s", argv[1]);

    pid_t child = fork();
    if (child == 0) {
        int fd = open(netns, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) { perror(netns); _exit(2); }
        ptrace(PTRACE_TRACEME, 0, 0, 0);
        execv(argv[4], argv + 4);
        perror(argv[4]);
        _exit(2);
    }
    int status;
    if (waitpid(child, &status, 0) != child || !WIFSTOPPED(status)) return 2; // stopped after exec, before ld.so runs
    ptrace(PTRACE_SETOPTIONS, child, 0, PTRACE_O_TRACECLONE | PTRACE_O_EXITKILL);
    uint64_t base = load_address(child, argv[4]);
    for (size_t i = 0; i < count; i++) {
        breakpoints[i].address += base;
        errno = 0;
        long word = ptrace(PTRACE_PEEKTEXT, child, (void *)breakpoints[i].address, 0);
        if (errno != 0) continue;
        breakpoints[i].original = word & 0xff;
        breakpoints[i].armed = 1;
        ptrace(PTRACE_POKETEXT, child, (void *)breakpoints[i].address, (void *)((word & ~0xffL) | 0xcc)); // int3
    }
    ptrace(PTRACE_CONT, child, 0, 0);

    for (;;) {
        pid_t thread = waitpid(-1, &status, __WALL);
        if (thread < 0) break;
        if (WIFEXITED(status) || WIFSIGNALED(status)) { if (thread == child) break; continue; }
        if (!WIFSTOPPED(status)) continue;
        int signal = WSTOPSIG(status);
        if (signal == SIGTRAP && status >> 16 == PTRACE_EVENT_CLONE) { ptrace(PTRACE_CONT, thread, 0, 0); continue; }
        if (signal == SIGSTOP) { ptrace(PTRACE_CONT, thread, 0, 0); continue; } // a new thread's first stop
        if (signal == SIGTRAP) {
            struct user_regs_struct registers;
            ptrace(PTRACE_GETREGS, thread, 0, &registers);
            breakpoint *hit = find(registers.rip - 1);
            if (hit) {
                // Another thread may have hit it before it was disarmed: every such thread backs up and re-runs
                // the restored instruction.
                if (hit->armed) {
                    poke_byte(thread, hit->address, hit->original);
                    hit->armed = 0;
                    fprintf(out, "%lx\n", (unsigned long)(hit->address - base));
                    fflush(out);
                }
                registers.rip -= 1;
                ptrace(PTRACE_SETREGS, thread, 0, &registers);
                ptrace(PTRACE_CONT, thread, 0, 0);
                continue;
            }
        }
        ptrace(PTRACE_CONT, thread, 0, signal); // the program's own signals (the runtime's, SIGTERM) go through
    }
    fclose(out);
    return 0;
}
