#pragma once
// Runs a program to completion and collects what it prints. posix_spawn, not QProcess: Qt 6.4's
// QProcess starts the child with a vfork-style clone that ThreadSanitizer takes for a fork of the
// whole multi-threaded test, after which g++'s runtime refuses every new thread ("starting new
// threads after multi-threaded fork is not supported") and clang 14's aborts in ForkAfter. The
// suites that run under TSan (preset tsan) start their children here.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <QByteArray>
#include <QElapsedTimer>
#include <QString>
#include <QStringList>
#include <string>
#include <vector>

extern char** environ;

namespace q8test {

struct ChildResult {
    bool finished = false;  // false: it could not start, or it ran past the timeout and was killed
    int exit_code = -1;     // meaningful when finished; -2 when a signal ended it
    QByteArray out, err;
    QString problem;  // why it did not finish
};

inline ChildResult run_child(const QString& program, const QStringList& args, int timeout_ms) {
    ChildResult r;
    int out_pipe[2], err_pipe[2];
    if (pipe2(out_pipe, O_CLOEXEC) != 0) return r.problem = "pipe failed", r;
    if (pipe2(err_pipe, O_CLOEXEC) != 0) {
        close(out_pipe[0]);
        close(out_pipe[1]);
        return r.problem = "pipe failed", r;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);
    std::vector<std::string> storage{program.toStdString()};
    for (const QString& a : args) storage.push_back(a.toStdString());
    std::vector<char*> argv;
    for (std::string& s : storage) argv.push_back(s.data());
    argv.push_back(nullptr);
    pid_t pid = -1;
    const int spawned = posix_spawn(&pid, storage[0].c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(out_pipe[1]);
    close(err_pipe[1]);
    if (spawned != 0) {
        close(out_pipe[0]);
        close(err_pipe[0]);
        r.problem = program + ": cannot start: " + QString::fromLocal8Bit(strerror(spawned));
        return r;
    }

    QElapsedTimer clock;
    clock.start();
    pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
    QByteArray* sinks[2] = {&r.out, &r.err};
    int open_fds = 2;
    bool timed_out = false;
    while (open_fds > 0) {
        const qint64 left = timeout_ms - clock.elapsed();
        if (left <= 0) {
            timed_out = true;
            break;
        }
        if (poll(fds, 2, int(left)) < 0) continue;
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || fds[i].revents == 0) continue;
            char buf[65536];
            const ssize_t n = read(fds[i].fd, buf, sizeof buf);
            if (n > 0) {
                sinks[i]->append(buf, n);
            } else {
                close(fds[i].fd);
                fds[i].fd = -1;
                --open_fds;
            }
        }
    }
    for (pollfd& p : fds)
        if (p.fd >= 0) close(p.fd);
    if (timed_out) kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    if (timed_out) {
        r.problem = QString("%1 did not finish within %2 s").arg(program).arg(timeout_ms / 1000);
        return r;
    }
    r.finished = true;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -2;
    return r;
}

}  // namespace q8test
