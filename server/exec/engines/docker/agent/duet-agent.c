/*
 * duet-agent: the first process of a Docker sandbox; runs each step the host hands it.
 *
 * Started as the container's pid 1 (the runner uid, no capabilities, the project's seccomp profile).
 * It connects once to the host's unix socket (argv[1], on a read-only mount; the host accepts
 * this one connection and then removes the socket) and serves steps on that connection:
 *
 *   host -> agent  one SOCK_SEQPACKET message per step: a header (magic, flags, argc, envc), then
 *                  argc + envc NUL-terminated strings, with exactly three descriptors attached
 *                  (SCM_RIGHTS) that become the step's stdin, stdout and stderr;
 *   agent -> host  4 bytes once the step has ended: its wait status (native byte order).
 *
 * For a step the agent forks; the child makes the descriptors 0, 1 and 2, closes every other
 * one, starts a new session (and, for a terminal, takes the pty as its controlling tty), goes to
 * /work and execs the argv with exactly the given environment. The agent then reaps whatever
 * dies (as pid 1, orphans are reparented to it); once the step's process has ended it SIGKILLs
 * everything else in the container and reaps until nothing is left, so no straggler of a step
 * outlives its status, and only then reports. When the connection ends, the agent exits, and
 * with pid 1 the kernel ends the whole container.
 *
 * Being pid 1 is what protects it: the kernel drops every signal sent to a pid namespace's init
 * from inside that namespace unless init handles it, and the agent handles none, so the program
 * cannot kill it (the host can: SIGKILL from the parent namespace ends the container at once).
 * It is not dumpable, so the program cannot read its memory or its descriptors through /proc.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAGIC 0x44554554u /* "DUET" */
#define FLAG_TERMINAL 1u
#define MAX_MESSAGE (64 * 1024)
#define MAX_STRINGS 4096
#define STDIO_FDS 3
#define WORK_DIR "/work"

struct header {
    uint32_t magic;
    uint32_t flags;
    uint32_t argc;
    uint32_t envc;
};

static char message[MAX_MESSAGE + 1];
static char *strings[2 * MAX_STRINGS + 2];

static int connect_to(const char *path) {
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(address.sun_path)) return -1;
    strcpy(address.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (connect(fd, (struct sockaddr *)&address, sizeof(address)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* One step message: its length (0 when the host closed the connection, -1 when it is not a
 * well-formed step), with its three descriptors in fds. */
static ssize_t receive_step(int connection, int fds[STDIO_FDS]) {
    union {
        char buffer[CMSG_SPACE(STDIO_FDS * sizeof(int))];
        struct cmsghdr align;
    } control;
    struct iovec iov = {.iov_base = message, .iov_len = MAX_MESSAGE};
    struct msghdr msg = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buffer, .msg_controllen = sizeof(control)};
    ssize_t size;
    do {
        size = recvmsg(connection, &msg, MSG_CMSG_CLOEXEC);
    } while (size < 0 && errno == EINTR);
    if (size <= 0) return 0;
    int received = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        int count = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        for (int i = 0; i < count; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
            if (received < STDIO_FDS) fds[received] = fd;
            else close(fd);
            received++;
        }
    }
    if (received != STDIO_FDS || (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) return -1;
    return size;
}

/* Point strings[] at argv (NULL-terminated) then envp (NULL-terminated); -1 if malformed. */
static int parse_step(size_t size, struct header *head, char ***argv, char ***envp) {
    if (size < sizeof(*head)) return -1;
    memcpy(head, message, sizeof(*head));
    if (head->magic != MAGIC || head->argc < 1 || head->argc > MAX_STRINGS || head->envc > MAX_STRINGS)
        return -1;
    message[size] = '\0';
    char *cursor = message + sizeof(*head), *end = message + size;
    size_t slot = 0;
    for (uint32_t i = 0; i < head->argc + head->envc; i++) {
        char *nul = memchr(cursor, '\0', (size_t)(end - cursor));
        if (nul == NULL) return -1;
        strings[slot++] = cursor;
        if (i + 1 == head->argc) strings[slot++] = NULL;
        cursor = nul + 1;
    }
    if (cursor != end) return -1;
    strings[slot] = NULL;
    *argv = strings;
    *envp = strings + head->argc + 1;
    return 0;
}

/* In the forked child: become the step. Never returns. */
static void become_step(const int fds[STDIO_FDS], int terminal, char **argv, char **envp) {
    int high[STDIO_FDS];
    for (int i = 0; i < STDIO_FDS; i++) { /* above 2 first, so no dup2 overwrites a source */
        high[i] = fcntl(fds[i], F_DUPFD, STDIO_FDS);
        if (high[i] < 0) _exit(125);
    }
    for (int i = 0; i < STDIO_FDS; i++)
        if (dup2(high[i], i) < 0) _exit(125);
    close_range(STDIO_FDS, ~0U, 0);
    if (setsid() < 0) _exit(125);
    if (terminal && ioctl(0, TIOCSCTTY, 0) != 0) _exit(125);
    if (chdir(WORK_DIR) != 0) _exit(125);
    environ = envp; /* execvp searches the PATH of the step's environment */
    execvp(argv[0], argv);
    int code = errno == ENOENT ? 127 : 126; /* what a shell answers */
    dprintf(2, "%s: %s\n", argv[0], strerror(errno));
    _exit(code);
}

/* Reap until the step's process has ended and nothing else is left; its wait status. */
static int finish_step(pid_t step) {
    int status = 0, ended = 0;
    for (;;) {
        int st;
        pid_t pid = waitpid(-1, &st, __WALL);
        if (pid < 0) {
            if (errno == EINTR) continue;
            break; /* ECHILD: the container holds nothing but the agent */
        }
        if (pid == step) {
            status = st;
            ended = 1;
        }
        if (ended) kill(-1, SIGKILL); /* every process but pid 1; again after each reap (forks) */
    }
    return ended ? status : (int)0x7f00; /* cannot happen: a child always ends before ECHILD */
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: duet-agent SOCKET\n");
        return 2;
    }
    prctl(PR_SET_DUMPABLE, 0);
    int connection = connect_to(argv[1]);
    if (connection < 0) {
        perror("duet-agent: connect");
        return 1;
    }
    for (;;) {
        int fds[STDIO_FDS] = {-1, -1, -1};
        ssize_t size = receive_step(connection, fds);
        if (size == 0) return 0;
        struct header head;
        char **step_argv, **step_envp;
        if (size < 0 || parse_step((size_t)size, &head, &step_argv, &step_envp) != 0) {
            fprintf(stderr, "duet-agent: a malformed step message\n");
            return 3;
        }
        pid_t child = fork();
        if (child == 0) become_step(fds, head.flags & FLAG_TERMINAL, step_argv, step_envp);
        if (child < 0) dprintf(fds[2], "duet-agent: fork: %s\n", strerror(errno));
        for (int i = 0; i < STDIO_FDS; i++) close(fds[i]);
        int status = child < 0 ? 126 << 8 : finish_step(child);
        if (send(connection, &status, sizeof(status), MSG_NOSIGNAL) != (ssize_t)sizeof(status)) return 0;
    }
}
