/* MJPEG fan-out cost: one producer publishes 1080p frames at 20 fps into a hub; 1, 10 and 50
 * viewers read /stream on loopback (all viewer sockets are drained by one thread inside this
 * process).  Prints process CPU per configuration and its ratio to 1 viewer, the same with the
 * viewer thread's own CPU taken out (real viewers are other processes), the producer's publish
 * rate and the frames each viewer got.  Then, with the 50 viewers still there, clients ask for
 * the largest PNG snapshot in a loop: the viewers' rate and /healthz latency meanwhile.
 * Measurements only; no pass/fail. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http/http.h"
#include "media/marker.h"
#include "hub/hub.h"
#include "hub/status.h"
#include "util/clock.h"

#define W 1920
#define H 1080
#define FPS 20
#define NSRC 8
#define MAXV 64
#define WARMUP_US 1500000u
#define MEASURE_US 5000000u

static struct hub *hub;
static struct status st;
static uint8_t *src[NSRC];
static volatile int prod_stop;
static volatile uint64_t published;

/* A picture with some texture so the JPEG is a realistic size (~100-200 KB at 1080p). */
static void render(uint8_t *p, int k)
{
	uint8_t *y = p, *u = p + W * H, *v = u + W * H / 4;

	for (int r = 0; r < H; r++)
		for (int c = 0; c < W; c++)
			y[r * W + c] = (uint8_t)(32 + ((c + k * 24) * 160 / W) +
						 (((r / 8) ^ (c / 8)) & 1) * 20 + ((r * 7 + c * 13) % 17));
	for (int r = 0; r < H / 2; r++)
		for (int c = 0; c < W / 2; c++) {
			u[r * W / 2 + c] = (uint8_t)(96 + (r * 64 / (H / 2)));
			v[r * W / 2 + c] = (uint8_t)(160 - (c * 64 / (W / 2)));
		}
}

static void *producer(void *arg)
{
	uint64_t next = clock_mono_us();
	uint32_t n = 0;

	(void)arg;
	while (!prod_stop) {
		struct frame *f = hub_get_free(hub);
		if (f) {
			memcpy(f->data, src[n % NSRC], f->size);
			marker_draw_i420(f->data, W, H, n);
			f->marker = n;
			f->placeholder = 0;
			f->full_range = 0;
			hub_publish(hub, f);
			__atomic_add_fetch(&published, 1, __ATOMIC_RELAXED);
			n++;
		}
		next += 1000000u / FPS;
		uint64_t now = clock_mono_us();
		if (next > now)
			clock_sleep_us(next - now);
		else
			next = now;
	}
	return NULL;
}

/* ---- viewers: one thread drains every socket ------------------------------------------ */

struct vstate {
	int fd;
	uint64_t bytes;
	uint64_t parts;
	char tail[32];
	size_t tail_len;
};

static struct vstate vs[MAXV];
static int nview;
static int ep;
static volatile int reader_stop;
static volatile double reader_cpu_s;   /* thread CPU, sampled on request */
static volatile int reader_sample;

static double thread_cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void count_parts(struct vstate *v, const uint8_t *b, size_t n)
{
	static const char bnd[] = "--cambridgeframe\r\n";
	const size_t bl = sizeof(bnd) - 1;
	char join[64];

	/* a boundary split over two reads */
	size_t head = n < bl - 1 ? n : bl - 1;
	memcpy(join, v->tail, v->tail_len);
	memcpy(join + v->tail_len, b, head);
	if (memmem(join, v->tail_len + head, bnd, bl))
		v->parts++;
	for (const uint8_t *p = b; (p = memmem(p, (size_t)(b + n - p), bnd, bl)); p += bl)
		v->parts++;
	v->tail_len = n < bl - 1 ? n : bl - 1;
	memcpy(v->tail, b + n - v->tail_len, v->tail_len);
}

static void *reader(void *arg)
{
	static uint8_t buf[1 << 18];
	struct epoll_event ev[MAXV];

	(void)arg;
	while (!reader_stop) {
		int n = epoll_wait(ep, ev, MAXV, 50);
		for (int i = 0; i < n; i++) {
			struct vstate *v = ev[i].data.ptr;
			ssize_t r = recv(v->fd, buf, sizeof(buf), MSG_DONTWAIT);
			if (r > 0) {
				v->bytes += (uint64_t)r;
				count_parts(v, buf, (size_t)r);
			} else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
				epoll_ctl(ep, EPOLL_CTL_DEL, v->fd, NULL);
			}
		}
		if (reader_sample) {
			reader_cpu_s = thread_cpu_s();
			__atomic_store_n(&reader_sample, 0, __ATOMIC_RELEASE);
		}
	}
	return NULL;
}

static double sample_reader_cpu(void)
{
	__atomic_store_n(&reader_sample, 1, __ATOMIC_RELEASE);
	while (__atomic_load_n(&reader_sample, __ATOMIC_ACQUIRE))
		clock_sleep_us(1000);
	return reader_cpu_s;
}

static void add_viewer(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	static const char req[] = "GET /stream HTTP/1.1\r\nHost: bench\r\n\r\n";
	struct vstate *v = &vs[nview++];
	struct epoll_event e = { .events = EPOLLIN, .data.ptr = v };

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	v->fd = socket(AF_INET, SOCK_STREAM, 0);
	if (v->fd < 0 || connect(v->fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    send(v->fd, req, sizeof(req) - 1, 0) != (ssize_t)(sizeof(req) - 1)) {
		perror("bench_http: viewer connect");
		exit(1);
	}
	epoll_ctl(ep, EPOLL_CTL_ADD, v->fd, &e);
}

static double proc_cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

/* ---- snapshot flood: clients asking for the largest PNG in a loop --------------------------- */

#define FLOODERS 4
static volatile int flood_stop;
static uint64_t flood_ok, flood_busy;     /* atomic */

static void *flooder(void *arg)
{
	int port = (int)(intptr_t)arg;
	static const char req[] = "GET /snapshot.png?width=4096&height=2304 HTTP/1.1\r\nHost: bench\r\n"
				  "Connection: close\r\n\r\n";
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	char buf[16];

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	while (!flood_stop) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0)
			break;
		if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
		    send(fd, req, sizeof(req) - 1, 0) == (ssize_t)(sizeof(req) - 1) &&
		    recv(fd, buf, 12, MSG_WAITALL) == 12)
			__atomic_add_fetch(atoi(buf + 9) == 200 ? &flood_ok : &flood_busy, 1,
					   __ATOMIC_RELAXED);
		close(fd);
		clock_sleep_us(5000);
	}
	return NULL;
}

/* Milliseconds for /healthz on a fresh connection (status line received). */
static double healthz_ms(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	static const char req[] = "GET /healthz HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n";
	uint64_t t0 = clock_mono_us();
	char buf[16];
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    send(fd, req, sizeof(req) - 1, 0) == (ssize_t)(sizeof(req) - 1))
		(void)recv(fd, buf, 12, MSG_WAITALL);
	if (fd >= 0)
		close(fd);
	return (double)(clock_mono_us() - t0) / 1000.0;
}

struct result {
	int viewers;
	double cpu, cpu_server, pub_fps, min_fps, avg_fps, mbit;
	uint64_t encodes;
};

static struct result measure(struct http_server *srv, int viewers)
{
	struct result r = { .viewers = viewers };

	clock_sleep_us(WARMUP_US);
	uint64_t bytes0 = 0, parts0[MAXV];
	for (int i = 0; i < nview; i++) {
		parts0[i] = vs[i].parts;
		bytes0 += vs[i].bytes;
	}
	uint64_t pub0 = published, enc0 = http_server_stream_encodes(srv);
	double rc0 = sample_reader_cpu(), pc0 = proc_cpu_s();
	uint64_t t0 = clock_mono_us();
	clock_sleep_us(MEASURE_US);
	double rc1 = sample_reader_cpu(), pc1 = proc_cpu_s();
	double dt = (double)(clock_mono_us() - t0) / 1e6;
	uint64_t bytes1 = 0;
	r.min_fps = 1e9;
	for (int i = 0; i < nview; i++) {
		double f = (double)(vs[i].parts - parts0[i]) / dt;
		r.avg_fps += f / nview;
		r.min_fps = f < r.min_fps ? f : r.min_fps;
		bytes1 += vs[i].bytes;
	}
	r.cpu = (pc1 - pc0) / dt * 100.0;
	r.cpu_server = ((pc1 - pc0) - (rc1 - rc0)) / dt * 100.0;
	r.pub_fps = (double)(published - pub0) / dt;
	r.mbit = (double)(bytes1 - bytes0) * 8 / dt / 1e6;
	r.encodes = http_server_stream_encodes(srv) - enc0;
	return r;
}

int main(void)
{
	/* every viewer comes from 127.0.0.1: lift the per-address cap */
	struct http_opts o = { .listen = "127.0.0.1:0", .camera_name = "bench", .max_connections = 64,
			       .max_per_ip = 64, .jpeg_quality = 80 };
	struct http_server *srv;
	pthread_t pt, rt;
	struct result res[3];
	static const int counts[3] = { 1, 10, 50 };

	for (int i = 0; i < NSRC; i++) {
		src[i] = malloc((size_t)W * H * 3 / 2);
		render(src[i], i);
	}
	hub = hub_new(W, H, 8);
	status_init(&st, "bench");
	if (!hub || http_server_start(&o, hub, &st, &srv) < 0) {
		fprintf(stderr, "bench_http: cannot start\n");
		return 1;
	}
	ep = epoll_create1(0);
	pthread_create(&pt, NULL, producer, NULL);
	pthread_create(&rt, NULL, reader, NULL);
	printf("bench_http: %dx%d at %d fps, quality %d, %u s per point\n", W, H, FPS,
	       o.jpeg_quality, MEASURE_US / 1000000u);
	for (int k = 0; k < 3; k++) {
		while (nview < counts[k])
			add_viewer(http_server_port(srv));
		res[k] = measure(srv, counts[k]);
		printf("%2d viewers: process CPU %6.1f%%  without viewer thread %6.1f%%  publish %5.1f fps"
		       "  encodes %5.1f/s  per-viewer fps min %5.1f avg %5.1f  %7.1f Mbit/s\n",
		       res[k].viewers, res[k].cpu, res[k].cpu_server, res[k].pub_fps,
		       (double)res[k].encodes / (MEASURE_US / 1e6), res[k].min_fps, res[k].avg_fps,
		       res[k].mbit);
	}
	for (int k = 1; k < 3; k++)
		printf("ratio %2d/1 viewers: process %.2fx, without viewer thread %.2fx (target <= 1.3x);"
		       " publish rate %.2fx\n",
		       counts[k], res[k].cpu / res[0].cpu, res[k].cpu_server / res[0].cpu_server,
		       res[k].pub_fps / res[0].pub_fps);

	/* the 50 viewers stay; FLOODERS clients ask for 4096x2304 PNGs meanwhile */
	pthread_t ft[FLOODERS];
	double worst = 0;
	for (int i = 0; i < FLOODERS; i++)
		pthread_create(&ft[i], NULL, flooder, (void *)(intptr_t)http_server_port(srv));
	struct result fr = measure(srv, nview);
	for (int i = 0; i < 10; i++) {
		double ms = healthz_ms(http_server_port(srv));
		worst = ms > worst ? ms : worst;
		clock_sleep_us(100000);
	}
	flood_stop = 1;
	for (int i = 0; i < FLOODERS; i++)
		pthread_join(ft[i], NULL);
	printf("%d viewers + %d clients asking for 4096x2304 PNGs: per-viewer fps min %5.1f avg %5.1f,"
	       " publish %5.1f fps, PNGs served %llu, told busy %llu, /healthz slowest %.1f ms\n",
	       nview, FLOODERS, fr.min_fps, fr.avg_fps, fr.pub_fps,
	       (unsigned long long)flood_ok, (unsigned long long)flood_busy, worst);
	prod_stop = 1;
	pthread_join(pt, NULL);
	reader_stop = 1;
	pthread_join(rt, NULL);
	http_server_stop(srv);
	for (int i = 0; i < nview; i++)
		close(vs[i].fd);
	close(ep);
	hub_free(hub);
	status_destroy(&st);
	for (int i = 0; i < NSRC; i++)
		free(src[i]);
	return 0;
}
