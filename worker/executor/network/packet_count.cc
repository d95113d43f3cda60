// packet_count SECONDS MARKER: opens a packet socket on every interface of
// its network namespace (needs CAP_NET_RAW), listens for SECONDS and prints
// "packets=N marked=M": all packets seen, and those whose bytes hold MARKER.
// A test helper for runc_network_test; static, so any rootfs can run it.
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: packet_count SECONDS MARKER\n");
    return 2;
  }
  const double seconds = std::atof(argv[1]);
  const std::string marker = argv[2];
  int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
  if (fd < 0) {
    std::perror("socket(AF_PACKET)");
    return 1;
  }
  timeval poll_interval = {0, 100000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &poll_interval,
             sizeof(poll_interval));
  std::printf("listening\n");
  std::fflush(stdout);
  const auto end =
      std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  long packets = 0;
  long marked = 0;
  static char buf[1 << 16];
  while (std::chrono::steady_clock::now() < end) {
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) continue;
    ++packets;
    if (std::string(buf, static_cast<size_t>(n)).find(marker) !=
        std::string::npos) {
      ++marked;
    }
  }
  std::printf("packets=%ld marked=%ld\n", packets, marked);
  return 0;
}
