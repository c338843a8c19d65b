/* isolate.c: dt_isolate: run work on an untrusted file in a child process
 * under CPU-time, wall-clock and memory limits, and turn the child's death
 * from a signal or a limit into an error for the caller. The child hands
 * back its return value and libdtree error through a pipe, and may stream
 * output through another. */
#define _GNU_SOURCE /* pipe2, wait4 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif

#include "util.h"

static const struct {
    int sig;
    const char *name;
} signames[] = {
    {SIGSEGV, "SIGSEGV"}, {SIGBUS, "SIGBUS"},   {SIGABRT, "SIGABRT"}, {SIGFPE, "SIGFPE"},
    {SIGILL, "SIGILL"},   {SIGXCPU, "SIGXCPU"}, {SIGKILL, "SIGKILL"}, {SIGTERM, "SIGTERM"},
    {SIGSYS, "SIGSYS"},   {SIGPIPE, "SIGPIPE"}, {SIGINT, "SIGINT"},   {SIGHUP, "SIGHUP"},
    {SIGTRAP, "SIGTRAP"}, {SIGXFSZ, "SIGXFSZ"}, {SIGQUIT, "SIGQUIT"}, {SIGALRM, "SIGALRM"},
};

const char *dt_signal_name(int sig)
{
    for (size_t i = 0; i < sizeof signames / sizeof *signames; i++)
        if (signames[i].sig == sig)
            return signames[i].name;
    return "a signal";
}

/* What the child sends back when fn returns. */
typedef struct child_report {
    int rc;
    dt__err_saved err;
} child_report;

static int write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;

    while (n > 0) {
        ssize_t w = write(fd, p, n);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int is_hdf5_file(const char *path)
{
    static const unsigned char sig[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    unsigned char b[8];
    int fd, yes;

    if (!path)
        return 0;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    /* the signature is at 0 in every file libdtree writes and in nearly all
     * others; a user block moves it, and then the generic words are used */
    yes = read(fd, b, sizeof b) == (ssize_t)sizeof b && memcmp(b, sig, sizeof b) == 0;
    close(fd);
    return yes;
}

static void child_main(dt_isolated_fn fn, void *ud, const dt_isolate_opts *o, pid_t parent,
                       int out_fd, int report_fd)
{
    child_report rep;

#if defined(__linux__)
    /* the work stops when the caller dies, even from SIGKILL */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(127);
#else
    (void)parent;
#endif
    if (o->cpu_seconds) {
        struct rlimit rl = {(rlim_t)o->cpu_seconds, (rlim_t)o->cpu_seconds + 5};

        setrlimit(RLIMIT_CPU, &rl);
    }
    if (o->max_memory) {
        struct rlimit rl = {(rlim_t)o->max_memory, (rlim_t)o->max_memory};

        setrlimit(RLIMIT_AS, &rl);
    }
    dt_error_clear();
    memset(&rep, 0, sizeof rep);
    rep.rc = fn(ud, out_fd);
    if (rep.rc < 0)
        dt__err_save(&rep.err);
    fflush(NULL);
    if (out_fd >= 0)
        close(out_fd);
    (void)!write_all(report_fd, &rep, sizeof rep);
    _exit(0);
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int dt_isolate(dt_isolated_fn fn, void *ud, const dt_isolate_opts *opts, char **out,
               size_t *out_len)
{
    dt_isolate_opts def = DT_ISOLATE_OPTS_INIT;
    const dt_isolate_opts *o = opts ? opts : &def;
    int rp[2] = {-1, -1}, op[2] = {-1, -1};
    child_report rep;
    size_t got_rep = 0, len = 0, cap = 0;
    char *buf = NULL;
    int status, timed_out = 0, rc = DT_OK, sig;
    struct rusage ru;
    double cpu;
    double deadline;
    pid_t pid, self = getpid();

    if (out)
        *out = NULL;
    if (out_len)
        *out_len = 0;
    if (o->term_signal)
        *o->term_signal = 0;
    if (!fn)
        return dt__fail(DT_EINVAL, "dt_isolate: NULL function");
    if (o->version != 1)
        return dt__fail(DT_EINVAL, "dt_isolate_opts version %u is not supported (1 is)",
                        o->version);
    if (pipe2(rp, O_CLOEXEC) != 0 || (out && pipe2(op, O_CLOEXEC) != 0)) {
        rc = dt__fail_at(DT_EIO, o->file, NULL, "cannot make a pipe to a child process: %s",
                         strerror(errno));
        goto done;
    }
    /* buffered output would be written twice, by both processes */
    fflush(NULL);
    pid = fork();
    if (pid < 0) {
        rc = dt__fail_at(DT_EIO, o->file, NULL, "cannot start a child process: %s",
                         strerror(errno));
        goto done;
    }
    if (pid == 0) {
        close(rp[0]);
        if (out)
            close(op[0]);
        child_main(fn, ud, o, self, out ? op[1] : -1, rp[1]);
    }
    close(rp[1]);
    rp[1] = -1;
    if (out) {
        close(op[1]);
        op[1] = -1;
    }
    if (o->child_pid)
        *o->child_pid = (int)pid;
    deadline = o->wall_seconds ? now_s() + o->wall_seconds : 0;
    /* read the output and the report until both pipes are closed */
    while (rp[0] >= 0 || op[0] >= 0) {
        struct pollfd pf[2];
        int n = 0, wait_ms = -1, pr;

        if (rp[0] >= 0)
            pf[n++] = (struct pollfd){rp[0], POLLIN, 0};
        if (op[0] >= 0)
            pf[n++] = (struct pollfd){op[0], POLLIN, 0};
        if (deadline > 0) {
            double left = deadline - now_s();

            if (left <= 0) {
                kill(pid, SIGKILL);
                timed_out = 1;
                break;
            }
            wait_ms = (int)(left * 1000) + 1;
        }
        pr = poll(pf, (nfds_t)n, wait_ms);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr < 0)
            break;
        for (int i = 0; i < n; i++) {
            ssize_t r;

            if (!(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            if (pf[i].fd == rp[0]) {
                if (got_rep < sizeof rep)
                    r = read(rp[0], (char *)&rep + got_rep, sizeof rep - got_rep);
                else {
                    char sink[256];

                    r = read(rp[0], sink, sizeof sink);
                }
                if (r > 0 && got_rep < sizeof rep)
                    got_rep += (size_t)r;
                if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN)) {
                    close(rp[0]);
                    rp[0] = -1;
                }
            } else {
                if (cap - len < 65536) {
                    size_t ncap = cap ? 2 * cap : 65536 + 1;
                    char *nb = dt__realloc(buf, ncap);

                    if (!nb) {
                        kill(pid, SIGKILL);
                        rc = DT_ENOMEM;
                        close(op[0]);
                        op[0] = -1;
                        continue;
                    }
                    buf = nb;
                    cap = ncap;
                }
                r = read(op[0], buf + len, cap - len - 1);
                if (r > 0)
                    len += (size_t)r;
                if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN)) {
                    close(op[0]);
                    op[0] = -1;
                }
            }
        }
    }
    while (wait4(pid, &status, 0, &ru) < 0) {
        if (errno != EINTR) {
            if (o->child_pid)
                *o->child_pid = 0;
            rc = dt__fail_at(DT_EIO, o->file, NULL, "lost the child process: %s",
                             strerror(errno));
            goto done;
        }
    }
    if (o->child_pid)
        *o->child_pid = 0;
    sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
          ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) / 1e6;
    if (o->term_signal)
        *o->term_signal = sig;
    if (rc == DT_ENOMEM) {
        rc = dt__fail_at(DT_ENOMEM, o->file, NULL, "no memory for the child's output");
    } else if (timed_out) {
        rc = dt__fail_at(DT_ETIMEOUT, o->file, NULL, "reading this file took more than %u s; "
                         "stopped", o->wall_seconds);
    } else if (sig == SIGXCPU || (sig == SIGKILL && o->cpu_seconds &&
                                  cpu >= (double)o->cpu_seconds)) {
        /* the soft limit sends SIGXCPU, the hard one (5 s later) SIGKILL */
        rc = dt__fail_at(DT_ETIMEOUT, o->file, NULL, "reading this file took more than %u s "
                         "of CPU time; stopped", o->cpu_seconds);
    } else if (sig) {
        rc = dt__fail_at(DT_ECRASH, o->file, NULL, "%s crashed reading this file (%s)",
                         is_hdf5_file(o->file) ? "the HDF5 library" : "the process",
                         dt_signal_name(sig));
    } else if (got_rep != sizeof rep) {
        rc = dt__fail_at(DT_ECRASH, o->file, NULL, "the child process ended (exit status "
                         "%d) before its work was done",
                         WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    } else {
        rc = rep.rc;
        if (rc < 0)
            dt__err_restore(&rep.err);
    }
    if (out && rc >= 0) {
        if (!buf)
            buf = dt__calloc(1, 1);
        if (!buf) {
            rc = DT_ENOMEM;
        } else {
            buf[len] = '\0';
            *out = buf;
            buf = NULL;
            if (out_len)
                *out_len = len;
        }
    }
done:
    for (int i = 0; i < 2; i++) {
        if (rp[i] >= 0)
            close(rp[i]);
        if (op[i] >= 0)
            close(op[i]);
    }
    free(buf);
    return rc;
}
