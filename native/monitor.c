/*
 * tspod-monitor: writes one container instance's output to its CRI log file (issue 14's monitor,
 * its first part: the log writer; the role of podman's conmon for logs).
 *
 * The kernel objects involved:
 *  - A *pipe* per stream. The container's stdout and stderr are the write ends of two pipes; the
 *    supervisor hands this program the read ends (and closes its own copies), so from then on the
 *    bytes go container -> kernel pipe buffer -> this process -> log file, and no Node process is on
 *    the path. A pipe holds a bounded buffer (raised here to 1 MiB with F_SETPIPE_SZ where the host
 *    allows it); when it is full, the container's write blocks until we read. That backpressure is
 *    the only way the container is ever slowed: we never stop reading while we are alive.
 *  - *poll(2)* over both read ends and a signalfd: one thread, no per-stream thread.
 *  - A *signalfd* for SIGTERM: the supervisor sends it when it will wait no longer for the pipes to
 *    close (a process the container left behind may hold them open forever). Then we read what the
 *    pipes hold at that moment (FIONREAD: a container still writing cannot keep us reading), write
 *    the last partial pieces and exit.
 *
 * Output format (logs/cri-log.ts has the reader): one record per piece,
 *     2026-11-27T07:30:00.123456789Z stdout F <bytes>\n
 * F ends a line; a line longer than 16 KiB (containerd's split size) is cut into P pieces of
 * 16 KiB, and the bytes after the last newline when a stream closes are a P piece. Bytes are
 * copied as they are (CR, NUL, invalid UTF-8). Each record is stamped with the time of the read
 * that brought it, at least 1 ns later than the record before (one clock for both streams), so
 * records are strictly ordered.
 *
 * Throughput: no syscall per line. Each read takes up to 256 KiB; its lines are formatted into one
 * output buffer (1 MiB) and written with one write(2) per poll round (or when the buffer fills,
 * or before a rotation), so a container writing short lines costs a few syscalls per 256 KiB.
 *
 * A hostile container controls only the bytes in its pipes. Memory is fixed at start (a 16 KiB
 * carry-over and a 256 KiB read buffer per stream, the output buffer): a line without newline is
 * cut every 16 KiB, binary is just bytes. It cannot make us block: our reads are non-blocking and
 * happen only when poll says there is data; our writes go to a file on the host (and, for a
 * foreground run, to the supervisor's tee), never to anything the container holds.
 *
 * Rotation, as the kubelet rotates container logs and as logs/log-file.ts documented it: before a
 * record would take the file past MAX_SIZE, the buffered records are written, the file is renamed
 * `<file>.<YYYYMMDD-HHMMSS.nnnnnnnnn>` and a new one is opened (rename first, then open: a reader
 * holding the old file reads it to its end, then finds the new one under the name); of the rotated
 * files the newest MAX_FILES-1 are kept. Each file therefore ends at a record boundary.
 *
 * A failed write (ENOSPC on a full disk, EIO, EFBIG) never stops us: the records of that write are
 * dropped and counted, a short write is cut back (ftruncate) to the last whole record, and the
 * first failure and the count (when writing works again, or at the end) are reported on the report
 * fd as lines `trouble <message>`. A file that cannot be opened is the same, and is opened again
 * at the next write.
 *
 * The supervisor may die (SIGKILL): we do not notice, the log goes on (a report or tee write then
 * fails with EPIPE, SIGPIPE is ignored, and that channel is dropped). We exit when both pipes have
 * closed, that is when every process of the container holding them is gone.
 *
 * The same program is the parent of a detached supervisor (`tspod-monitor pod`, monitor_pod.c).
 *
 * Usage: tspod-monitor log FILE MAX_SIZE MAX_FILES STDOUT_FD STDERR_FD REPORT_FD TEE_FD
 *   (a fd of -1 is absent: a tty container has one stream; a detached pod has no tee)
 * Exit status: 0 once the streams ended, 2 for a usage error.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/close_range.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "monitor.h"

enum {
  SPLIT = 16 * 1024,        /* longest piece: containerd's CRI logger splits lines here */
  READ_SIZE = 256 * 1024,   /* one read(2) */
  OUT_SIZE = 1024 * 1024,   /* formatted records waiting for one write(2) */
  HEAD_MAX = 64,            /* room for a record's head */
  REC_HEAD = 40,            /* "2026-11-27T07:30:00.123456789Z stderr P " */
  PIPE_SIZE = 1024 * 1024,  /* what we ask F_SETPIPE_SZ for */
};

struct stream {
  const char *name; /* "stdout" or "stderr" */
  int fd;           /* -1 once closed */
  size_t rest;      /* bytes after the last cut, kept at buf[0..rest) (at most SPLIT) */
  char buf[SPLIT + READ_SIZE];
};

struct logfile {
  const char *path;
  int fd; /* -1 while it cannot be opened */
  long long size;
  long long max_size;
  int max_files;
  long long last_stamp; /* of the last rotation: rotated names never repeat */
  /* while writes fail: what was dropped, and the first error */
  bool dropping;
  unsigned long long drop_lines, drop_bytes;
  int drop_errno;
};

static struct stream streams[2] = { { .name = "stdout", .fd = -1 }, { .name = "stderr", .fd = -1 } };
static struct logfile lf = { .fd = -1 };
static char out[OUT_SIZE];
static size_t out_len, out_records;
static int report_fd = -1, tee_fd = -1;
static long long last_ns; /* time of the last record */
/* the formatted "YYYY-MM-DDTHH:MM:SS." of the second last_sec */
static time_t cached_sec = -1;
static char cached_head[32];

/* ---- small helpers ---- */

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Write all of buf to fd, retrying short writes; 0, or -1 with errno (and *done = bytes written). */
static int write_all(int fd, const char *buf, size_t len, size_t *done) {
  size_t off = 0;
  while (off < len) {
    ssize_t n = write(fd, buf + off, len - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      if (done) *done = off;
      return -1;
    }
    if (n == 0) {
      errno = ENOSPC;
      if (done) *done = off;
      return -1;
    }
    off += (size_t)n;
  }
  if (done) *done = off;
  return 0;
}

/* Node's system error text: "ENOSPC: no space left on device". */
static void error_text(char *buf, size_t len, int err) {
  const char *name = strerrorname_np(err);
  snprintf(buf, len, "%s: %s", name ? name : "EIO", strerror(err));
  char *msg = strchr(buf, ':');
  if (msg && msg[1] == ' ' && msg[2] >= 'A' && msg[2] <= 'Z') msg[2] = (char)(msg[2] - 'A' + 'a');
}

/* One `trouble <message>` line to the supervisor; a supervisor that is gone is not an error. */
static void report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void report(const char *fmt, ...) {
  if (report_fd < 0) return;
  char line[PATH_MAX + 512];
  int n = snprintf(line, sizeof line, "trouble ");
  va_list ap;
  va_start(ap, fmt);
  n += vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
  va_end(ap);
  if (n > (int)sizeof line - 2) n = (int)sizeof line - 2;
  line[n++] = '\n';
  if (write_all(report_fd, line, (size_t)n, NULL) < 0) {
    close(report_fd);
    report_fd = -1;
  }
}

/* ---- the log file ---- */

static void mkdir_parents(const char *file) {
  char dir[PATH_MAX];
  if (snprintf(dir, sizeof dir, "%s", file) >= (int)sizeof dir) return;
  for (char *p = dir + 1; *p; p++) {
    if (*p != '/') continue;
    *p = '\0';
    mkdir(dir, 0755);
    *p = '/';
  }
}

static int open_log(void) {
  mkdir_parents(lf.path);
  int fd = open(lf.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) return -1;
  struct stat st;
  if (fstat(fd, &st) < 0) {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  lf.fd = fd;
  lf.size = st.st_size;
  return 0;
}

static void start_dropping(int err, const char *syscall) {
  if (lf.dropping) return;
  lf.dropping = true;
  lf.drop_lines = lf.drop_bytes = 0;
  lf.drop_errno = err;
  char text[256];
  error_text(text, sizeof text, err);
  if (strcmp(syscall, "open") == 0) report("writing %s failed (%s, open '%s'): dropping log lines until it works again", lf.path, text, lf.path);
  else report("writing %s failed (%s, %s): dropping log lines until it works again", lf.path, text, syscall);
}

static void end_dropping(void) {
  if (!lf.dropping) return;
  lf.dropping = false;
  const char *name = strerrorname_np(lf.drop_errno);
  report("%llu log lines (%llu bytes) dropped from %s while writes failed (%s)", lf.drop_lines, lf.drop_bytes, lf.path, name ? name : "EIO");
}

/* `20261127-073000.123456789`: when a file was rotated; sorts as text. */
static void rotation_stamp(char *buf, size_t len, long long ns) {
  time_t sec = (time_t)(ns / 1000000000LL);
  struct tm tm;
  gmtime_r(&sec, &tm);
  snprintf(buf, len, "%04d%02d%02d-%02d%02d%02d.%09lld", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
           tm.tm_sec, ns % 1000000000LL);
}

/* Whether `name` is `<base>.<stamp>` (a rotated file of ours). */
static bool is_rotated(const char *name, const char *base, size_t base_len) {
  if (strncmp(name, base, base_len) != 0 || name[base_len] != '.') return false;
  const char *s = name + base_len + 1;
  static const char shape[] = "dddddddd-dddddd.ddddddddd";
  for (size_t i = 0; i < sizeof shape - 1; i++) {
    if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i]) return false;
  }
  return s[sizeof shape - 1] == '\0';
}

/* Remove the oldest rotated files beyond MAX_FILES-1. No allocation: the oldest is found by a scan. */
static void prune_rotated(void) {
  char dir[PATH_MAX];
  snprintf(dir, sizeof dir, "%s", lf.path);
  char *slash = strrchr(dir, '/'); /* FILE is absolute: there is one */
  const char *base = slash + 1;
  *slash = '\0';
  const char *dirname = dir[0] ? dir : "/";
  size_t base_len = strlen(base);
  for (;;) {
    DIR *d = opendir(dirname);
    if (!d) return;
    int count = 0;
    char oldest[NAME_MAX + 1] = "";
    for (struct dirent *e; (e = readdir(d));) {
      if (!is_rotated(e->d_name, base, base_len)) continue;
      count++;
      if (oldest[0] == '\0' || strcmp(e->d_name, oldest) < 0) snprintf(oldest, sizeof oldest, "%s", e->d_name);
    }
    int ok = count > lf.max_files - 1 ? unlinkat(dirfd(d), oldest, 0) : -1;
    closedir(d);
    if (ok < 0) return;
  }
}

/* Rename the full file aside, start a new one, drop the oldest beyond the limit. */
static void rotate(void) {
  long long ns = now_ns();
  if (ns <= lf.last_stamp) ns = lf.last_stamp + 1;
  lf.last_stamp = ns;
  char stamp[64], aside[PATH_MAX];
  rotation_stamp(stamp, sizeof stamp, ns);
  if (snprintf(aside, sizeof aside, "%s.%s", lf.path, stamp) >= (int)sizeof aside) return;
  /* Rename before opening: a reader holding the old file keeps reading it to its end. */
  if (rename(lf.path, aside) < 0) {
    char text[256];
    error_text(text, sizeof text, errno);
    report("rotating %s failed: %s, rename", lf.path, text);
    return;
  }
  int old = lf.fd;
  long long old_size = lf.size;
  if (open_log() < 0) {
    /* Keep writing the old file under its old name: a failed rotation changes nothing. */
    char text[256];
    error_text(text, sizeof text, errno);
    rename(aside, lf.path);
    lf.fd = old;
    lf.size = old_size;
    report("rotating %s failed: %s, open", lf.path, text);
    return;
  }
  if (old >= 0) close(old);
  lf.size = 0;
  prune_rotated();
}

/* Write the buffered records to the file with one write(2): true when all of them are in it. */
static bool flush_to_file(void) {
  if (lf.fd < 0 && open_log() < 0) {
    start_dropping(errno, "open");
    return false;
  }
  size_t done = 0;
  if (write_all(lf.fd, out, out_len, &done) == 0) {
    lf.size += (long long)out_len;
    end_dropping();
    return true;
  }
  int err = errno;
  /* Cut a torn record back to the last whole one; if that fails, the reader skips it. */
  if (done > 0 && ftruncate(lf.fd, lf.size) < 0) lf.size += (long long)done;
  start_dropping(err, "write");
  return false;
}

/* The tee of a foreground run: the same records, to the supervisor that prints them. */
static void write_tee(const char *buf, size_t len) {
  if (tee_fd < 0 || len == 0) return;
  if (write_all(tee_fd, buf, len, NULL) < 0) {
    close(tee_fd);
    tee_fd = -1;
  }
}

/* ---- formatting ---- */

static size_t format_head(char *p, const char *stream, bool partial) {
  long long ns = now_ns();
  if (ns <= last_ns) ns = last_ns + 1;
  last_ns = ns;
  time_t sec = (time_t)(ns / 1000000000LL);
  if (sec != cached_sec) {
    struct tm tm;
    gmtime_r(&sec, &tm);
    strftime(cached_head, sizeof cached_head, "%Y-%m-%dT%H:%M:%S.", &tm);
    cached_sec = sec;
  }
  size_t n = strlen(cached_head);
  memcpy(p, cached_head, n);
  long long frac = ns % 1000000000LL;
  for (int i = 8; i >= 0; i--, frac /= 10) p[n + (size_t)i] = (char)('0' + frac % 10);
  n += 9;
  n += (size_t)sprintf(p + n, "Z %s %c ", stream, partial ? 'P' : 'F');
  return n;
}

static void write_out(void);

/* Append one record to the output buffer, writing first when it would not fit or must rotate. */
static void add_record(const char *stream, bool partial, const char *data, size_t len) {
  size_t need = HEAD_MAX + len + 1;
  if (out_len + need > OUT_SIZE) write_out();
  long long pending = lf.size + (long long)out_len;
  /* Rotate between records only, never past the limit (a file holds at least one record). */
  if (pending > 0 && pending + (long long)(REC_HEAD + len + 1) > lf.max_size) {
    write_out();
    if (lf.size > 0 && lf.fd >= 0) rotate();
  }
  char *p = out + out_len;
  size_t n = format_head(p, stream, partial);
  memcpy(p + n, data, len);
  n += len;
  p[n++] = '\n';
  out_len += n;
  out_records++;
}

/* Write the buffer to the file (or drop its records, counted) and to the tee. */
static void write_out(void) {
  if (out_len == 0) return;
  if (!flush_to_file()) {
    lf.drop_lines += out_records;
    lf.drop_bytes += out_len;
  }
  write_tee(out, out_len);
  out_len = 0;
  out_records = 0;
}

/* Cut buf[0..total) into pieces; keep the bytes after the last cut for the next read. */
static void cut(struct stream *s, size_t total) {
  char *d = s->buf;
  size_t start = 0;
  for (;;) {
    char *nl = memchr(d + start, '\n', total - start);
    size_t end = nl ? (size_t)(nl - d) : total;
    while (end - start > SPLIT) {
      add_record(s->name, true, d + start, SPLIT);
      start += SPLIT;
    }
    if (!nl) break;
    add_record(s->name, false, d + start, end - start);
    start = end + 1;
  }
  memmove(d, d + start, total - start);
  s->rest = total - start;
}

/* The stream closed: what is left after the last newline becomes a P piece. */
static void end_stream(struct stream *s) {
  if (s->rest > 0) add_record(s->name, true, s->buf, s->rest);
  s->rest = 0;
  close(s->fd);
  s->fd = -1;
}

/* One read; at EOF (or a read error) the stream ends. `limit` caps the read (the final drain). */
static ssize_t read_stream(struct stream *s, size_t limit) {
  size_t room = READ_SIZE < limit ? READ_SIZE : limit;
  ssize_t n = read(s->fd, s->buf + s->rest, room);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return -1;
  if (n <= 0) {
    end_stream(s);
    return 0;
  }
  cut(s, s->rest + (size_t)n);
  return n;
}

/* SIGTERM: what the pipes hold now is read, the rest of each stream written, then we are done. */
static void final_drain(void) {
  for (int i = 0; i < 2; i++) {
    struct stream *s = &streams[i];
    if (s->fd < 0) continue;
    int avail = 0;
    if (ioctl(s->fd, FIONREAD, &avail) < 0) avail = 0;
    size_t left = (size_t)avail;
    while (left > 0 && s->fd >= 0) {
      ssize_t n = read_stream(s, left);
      if (n <= 0) break;
      left -= (size_t)n;
    }
    if (s->fd >= 0) end_stream(s);
  }
}

/* ---- set-up ---- */

static int parse_fd(const char *arg) {
  char *end;
  long v = strtol(arg, &end, 10);
  if (*arg == '\0' || *end != '\0' || v < -1 || v > INT_MAX) return -2;
  if (v >= 0 && fcntl((int)v, F_GETFD) < 0) return -2;
  return (int)v;
}

static long long parse_num(const char *arg, long long min) {
  char *end;
  long long v = strtoll(arg, &end, 10);
  if (*arg == '\0' || *end != '\0' || v < min) return -1;
  return v;
}

__attribute__((noreturn)) static void usage(const char *why) {
  fprintf(stderr, "tspod-monitor: %s\nusage: tspod-monitor log FILE MAX_SIZE MAX_FILES STDOUT_FD STDERR_FD REPORT_FD TEE_FD\n       tspod-monitor pod EXITS_DIR CMD [ARG...]\n", why);
  exit(2);
}

static int signal_fd(void) {
  /* SIGPIPE: a gone supervisor is an EPIPE on the report or tee fd, not our death. SIGXFSZ: a
   * file-size limit is an EFBIG write, dropped and counted like ENOSPC. SIGINT/SIGHUP: we are in
   * a session of our own, but a Ctrl-C must never cut the log of a pod that is being stopped. */
  signal(SIGPIPE, SIG_IGN);
  signal(SIGXFSZ, SIG_IGN);
  signal(SIGINT, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigprocmask(SIG_BLOCK, &set, NULL);
  return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

/* Close every fd but 0-2 and ours: an inherited write end of some pipe would keep it open. */
static void close_others(const int fds[4]) {
  int keep[4], n = 0;
  for (int i = 0; i < 4; i++) if (fds[i] > 2) keep[n++] = fds[i];
  for (int i = 1; i < n; i++) /* (insertion sort: four fds) */
    for (int j = i; j > 0 && keep[j - 1] > keep[j]; j--) { int t = keep[j]; keep[j] = keep[j - 1]; keep[j - 1] = t; }
  unsigned int from = 3;
  for (int i = 0; i < n; i++) {
    if ((unsigned int)keep[i] > from) close_range(from, (unsigned int)keep[i] - 1, 0);
    from = (unsigned int)keep[i] + 1;
  }
  close_range(from, ~0U, 0);
}

static int log_main(int argc, char **argv) {
  if (argc != 9) usage("wrong arguments");
  lf.path = argv[2];
  if (lf.path[0] != '/' || strlen(lf.path) >= PATH_MAX - 64) usage("FILE must be an absolute path");
  lf.max_size = parse_num(argv[3], 1024);
  lf.max_files = (int)parse_num(argv[4], 2);
  if (lf.max_size < 0 || lf.max_files < 2 || parse_num(argv[4], 2) > 1000000) usage("MAX_SIZE must be at least 1024, MAX_FILES at least 2");
  int fds[4];
  for (int i = 0; i < 4; i++) {
    fds[i] = parse_fd(argv[5 + i]);
    if (fds[i] == -2) usage("a fd argument is not an open file descriptor or -1");
  }
  close_others(fds);
  streams[0].fd = fds[0];
  streams[1].fd = fds[1];
  report_fd = fds[2];
  tee_fd = fds[3];
  for (int i = 0; i < 2; i++) {
    if (streams[i].fd < 0) continue;
    /* Non-blocking: a read never waits, whatever the container does with its write end. */
    fcntl(streams[i].fd, F_SETFL, fcntl(streams[i].fd, F_GETFL) | O_NONBLOCK);
    fcntl(streams[i].fd, F_SETPIPE_SZ, PIPE_SIZE); /* best effort: a bigger buffer, fewer wake-ups */
  }
  int sfd = signal_fd();
  if (sfd < 0) {
    perror("tspod-monitor: signalfd");
    return 1;
  }
  if (open_log() < 0) start_dropping(errno, "open");

  bool stop = false;
  while (!stop && (streams[0].fd >= 0 || streams[1].fd >= 0)) {
    struct pollfd p[3] = {
      { .fd = streams[0].fd, .events = POLLIN },
      { .fd = streams[1].fd, .events = POLLIN },
      { .fd = sfd, .events = POLLIN },
    };
    if (poll(p, 3, -1) < 0) {
      if (errno == EINTR) continue;
      perror("tspod-monitor: poll");
      break;
    }
    for (int i = 0; i < 2; i++) {
      if (streams[i].fd >= 0 && (p[i].revents & (POLLIN | POLLHUP | POLLERR))) read_stream(&streams[i], READ_SIZE);
    }
    write_out();
    if (p[2].revents & POLLIN) stop = true;
  }
  if (stop) final_drain();
  write_out();
  end_dropping();
  if (lf.fd >= 0) close(lf.fd);
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 2 && strcmp(argv[1], "log") == 0) return log_main(argc, argv);
  /* (host: the parent of the one supervisor of a run root; pod: the same, the older name) */
  if (argc >= 2 && (strcmp(argv[1], "host") == 0 || strcmp(argv[1], "pod") == 0)) return pod_main(argc, argv);
  usage("the first argument is log or host");
}
