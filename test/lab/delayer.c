/*
 * delayer: holds every packet of an NFQUEUE for a fixed time, then accepts it.
 *
 * The kernel here has no netem, so the network lab delays packets in user
 * space: iptables sends the ingress packets of a namespace to a queue, and
 * this program keeps each one for DELAY ms after it arrived and then accepts
 * it, in arrival order. Because the SYN and SYN-ACK are delayed too, the TCP
 * handshake costs the full round-trip time, as on a real network.
 *
 * usage: delayer <queue-num> <delay-ms> [ring-capacity]
 * Prints "ready" on stdout once bound to the queue. SIGUSR1: prints counters
 * on stderr. SIGTERM/SIGINT: accepts what it holds, prints counters, exits 0.
 *
 * Memory is bounded: a ring of (packet id, arrival time). When it is full a
 * packet is accepted at once and counted as "overflow" (never dropped).
 *
 * A packet's arrival is the kernel's receive timestamp (NFQA_TIMESTAMP, which
 * the kernel sets once any socket asks for SO_TIMESTAMP: we open one), not the
 * moment this program got to read it: that wake-up took 20-45 us a packet on
 * average here and up to 2 ms when the VM stalled, twice per round trip, and
 * the lab's RTT came out that much long. A packet without a timestamp falls back to the time it was read
 * ("unstamped" in the counters). Times are CLOCK_REALTIME, the timestamps'.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/netfilter.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <libnfnetlink/libnfnetlink.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct held {
  uint32_t id;
  uint64_t arrival_us;
};

static struct held *ring;
static uint32_t ring_cap, ring_head, ring_len;
static uint64_t delay_us;
static uint64_t count_packets, count_overflow, count_enobufs, count_batches, count_unstamped;
/* How long after the kernel's timestamp a packet was read: the wake-up the timestamps take out. */
static uint64_t read_total_us, read_max_us;
/* How late releases were against their due time: the delay's own error. */
static uint64_t late_total_us, late_max_us;

static uint64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int on_packet(struct nfq_q_handle *qh, struct nfgenmsg *msg, struct nfq_data *nfa, void *data) {
  (void)msg;
  (void)data;
  struct nfqnl_msg_packet_hdr *ph = nfq_get_msg_packet_hdr(nfa);
  if (!ph) return 0;
  uint32_t id = ntohl(ph->packet_id);
  count_packets++;
  if (ring_len == ring_cap) {
    count_overflow++;
    return nfq_set_verdict(qh, id, NF_ACCEPT, 0, NULL);
  }
  uint64_t now = now_us(), arrival = now;
  int stamped = 0;
  struct timeval stamp;
  if (nfq_get_timestamp(nfa, &stamp) == 0) {
    uint64_t stamp_us = (uint64_t)stamp.tv_sec * 1000000u + (uint64_t)stamp.tv_usec;
    /* A stamp from the future or over a second old is not this packet's arrival (a clock step). */
    if (stamp_us <= now && now - stamp_us < 1000000u) {
      arrival = stamp_us;
      stamped = 1;
    }
  }
  if (!stamped) {
    count_unstamped++;
  } else {
    read_total_us += now - arrival;
    if (now - arrival > read_max_us) read_max_us = now - arrival;
  }
  uint32_t tail = (ring_head + ring_len) % ring_cap;
  ring[tail].id = id;
  ring[tail].arrival_us = arrival;
  ring_len++;
  return 0;
}

/* Accepts every held packet that is due. One batch verdict covers all ids up
 * to the last due one: ids grow in queue order and we release in that order. */
static void release_due(struct nfq_q_handle *qh, uint64_t now, int all) {
  uint32_t last_id = 0;
  int any = 0;
  while (ring_len > 0 && (all || ring[ring_head].arrival_us + delay_us <= now)) {
    uint64_t due = ring[ring_head].arrival_us + delay_us;
    uint64_t late_us = now > due ? now - due : 0;
    late_total_us += late_us;
    if (late_us > late_max_us) late_max_us = late_us;
    last_id = ring[ring_head].id;
    any = 1;
    ring_head = (ring_head + 1) % ring_cap;
    ring_len--;
  }
  if (any) {
    nfq_set_verdict_batch(qh, last_id, NF_ACCEPT);
    count_batches++;
  }
}

/* One line on stderr; the lab parses it (SIGUSR1 asks for it, exit prints it). */
static void print_stats(void) {
  fprintf(stderr,
          "delayer: packets=%" PRIu64 " overflow=%" PRIu64 " enobufs=%" PRIu64 " batches=%" PRIu64
          " late_mean_us=%" PRIu64 " late_max_us=%" PRIu64 " unstamped=%" PRIu64 " read_mean_us=%" PRIu64
          " read_max_us=%" PRIu64 "\n",
          count_packets, count_overflow, count_enobufs, count_batches,
          count_packets ? late_total_us / count_packets : 0, late_max_us, count_unstamped,
          count_packets > count_unstamped ? read_total_us / (count_packets - count_unstamped) : 0, read_max_us);
  fflush(stderr);
}

static int parse_number(const char *text, double *out) {
  char *end;
  errno = 0;
  double v = strtod(text, &end);
  if (errno || end == text || *end != '\0' || v < 0) return -1;
  *out = v;
  return 0;
}

int main(int argc, char **argv) {
  double queue_num, delay_ms, capacity = 65536;
  if (argc < 3 || argc > 4 || parse_number(argv[1], &queue_num) || parse_number(argv[2], &delay_ms) ||
      queue_num > 65535 || (argc == 4 && (parse_number(argv[3], &capacity) || capacity < 1))) {
    fprintf(stderr, "usage: delayer <queue-num> <delay-ms> [ring-capacity]\n"
                    "  queue-num: 0..65535, delay-ms: >= 0 (fractions allowed), ring-capacity: >= 1\n");
    return 2;
  }
  delay_us = (uint64_t)(delay_ms * 1000.0 + 0.5);
  ring_cap = (uint32_t)capacity;
  ring = calloc(ring_cap, sizeof *ring);
  if (!ring) {
    perror("delayer: calloc");
    return 1;
  }

  /* If the test process that started us dies, go too (no orphan holding a queue). */
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  /* Default timer slack is 50 us; wake up on time instead. A modest
   * real-time priority keeps a busy machine from making releases late (mean
   * lateness measured 60 -> 35 us, worst case 1.2 ms -> 0.15 ms). It blocks
   * between releases, so it cannot starve anything; without the right, run
   * as a normal process. */
  prctl(PR_SET_TIMERSLACK, 1UL);
  struct sched_param priority = {.sched_priority = 10};
  if (sched_setscheduler(0, SCHED_FIFO, &priority) < 0) fprintf(stderr, "delayer: no real-time priority, timing may jitter\n");

  /* Receive timestamps on every packet (a global switch in the kernel, held while this socket is open). */
  int stamp_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  int on = 1;
  if (stamp_fd < 0 || setsockopt(stamp_fd, SOL_SOCKET, SO_TIMESTAMP, &on, sizeof on) < 0)
    fprintf(stderr, "delayer: no receive timestamps, arrivals are read times\n");

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGUSR1);
  sigprocmask(SIG_BLOCK, &signals, NULL);
  int sig_fd = signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC);

  struct nfq_handle *h = nfq_open();
  if (!h) {
    perror("delayer: nfq_open");
    return 1;
  }
  struct nfq_q_handle *qh = nfq_create_queue(h, (uint16_t)queue_num, &on_packet, NULL);
  if (!qh) {
    fprintf(stderr, "delayer: cannot bind queue %u (another delayer on it? not root?)\n", (unsigned)queue_num);
    return 1;
  }
  /* Metadata only: the verdict needs the id, not the bytes. */
  if (nfq_set_mode(qh, NFQNL_COPY_META, 0) < 0) {
    perror("delayer: nfq_set_mode");
    return 1;
  }
  /* GSO: take large segments whole instead of having the kernel split them
   * for us (costs CPU, many more verdicts). FAIL_OPEN: if the kernel queue is
   * full, accept. */
  uint32_t flags = NFQA_CFG_F_GSO | NFQA_CFG_F_FAIL_OPEN;
  if (nfq_set_queue_flags(qh, flags, flags) < 0) fprintf(stderr, "delayer: queue flags not supported\n");
  nfq_set_queue_maxlen(qh, ring_cap);
  nfnl_rcvbufsiz(nfq_nfnlh(h), 16 * 1024 * 1024);
  int nl_fd = nfq_fd(h);

  printf("ready\n");
  fflush(stdout);

  static char buf[65536] __attribute__((aligned));
  struct pollfd fds[2] = {{.fd = nl_fd, .events = POLLIN}, {.fd = sig_fd, .events = POLLIN}};
  for (;;) {
    struct timespec timeout, *timeout_p = NULL;
    if (ring_len > 0) {
      uint64_t due = ring[ring_head].arrival_us + delay_us, now = now_us();
      uint64_t wait_us = due > now ? due - now : 0;
      timeout.tv_sec = (time_t)(wait_us / 1000000u);
      timeout.tv_nsec = (long)(wait_us % 1000000u) * 1000L;
      timeout_p = &timeout;
    }
    int ready = ppoll(fds, 2, timeout_p, NULL);
    if (ready < 0 && errno != EINTR) {
      perror("delayer: ppoll");
      break;
    }
    if (ready > 0 && (fds[1].revents & POLLIN)) {
      struct signalfd_siginfo info;
      if (read(sig_fd, &info, sizeof info) == sizeof info && info.ssi_signo == SIGUSR1) {
        print_stats();
      } else {
        break;
      }
    }
    if (ready > 0 && (fds[0].revents & POLLIN)) {
      for (;;) {
        ssize_t n = recv(nl_fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n > 0) {
          nfq_handle_packet(h, buf, (int)n);
          continue;
        }
        /* ENOBUFS: the kernel could not hand us some packets; with
         * FAIL_OPEN it accepted them undelayed. Count it and go on. */
        if (n < 0 && errno == ENOBUFS) {
          count_enobufs++;
          continue;
        }
        break;
      }
    }
    release_due(qh, now_us(), 0);
  }

  release_due(qh, now_us(), 1);
  print_stats();
  nfq_destroy_queue(qh);
  nfq_close(h);
  free(ring);
  return 0;
}
