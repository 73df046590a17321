/*
 * l7_serve.c - GET /metrics on a loopback address (see l7_serve.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "replay/l7_serve.h"

struct tw_l7_server {
	int fd;
	int wake[2]; /* closing wake[1] stops the thread */
	unsigned port;
	pthread_t thread;
	pthread_mutex_t lock;
	char *text;
};

static void answer(struct tw_l7_server *s, int c)
{
	struct pollfd p = { c, POLLIN, 0 };
	char req[1024], head[200];
	char *body = NULL;
	ssize_t n = 0;
	bool ok;

	if (poll(&p, 1, 1000) == 1)
		n = read(c, req, sizeof(req) - 1);
	if (n <= 0)
		return;
	req[n] = '\0';
	ok = !strncmp(req, "GET /metrics", 12) &&
	     (req[12] == ' ' || req[12] == '?');
	if (ok) {
		pthread_mutex_lock(&s->lock);
		body = strdup(s->text ? s->text : "");
		pthread_mutex_unlock(&s->lock);
	}
	snprintf(head, sizeof(head),
	         "HTTP/1.0 %s\r\nContent-Type: text/plain%s\r\n"
	         "Content-Length: %zu\r\n\r\n",
	         ok ? "200 OK" : "404 Not Found", ok ? "; version=0.0.4" : "",
	         ok && body ? strlen(body) : 0);
	if (write(c, head, strlen(head)) > 0 && body)
		(void)!write(c, body, strlen(body));
	free(body);
}

static void *serve(void *arg)
{
	struct tw_l7_server *s = arg;

	for (;;) {
		struct pollfd p[2] = { { s->fd, POLLIN, 0 },
			               { s->wake[0], POLLIN, 0 } };
		int c;

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (!(p[0].revents & POLLIN))
			continue;
		c = accept(s->fd, NULL, NULL);
		if (c < 0)
			continue;
		answer(s, c);
		close(c);
	}
	return NULL;
}

static int parse(const char *addr, struct sockaddr_storage *ss, socklen_t *sl,
                 struct tw_errbuf *eb)
{
	const char *colon = strrchr(addr, ':');
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	char host[64], *end;
	size_t hl = colon ? (size_t)(colon - addr) : 0;
	long port = colon ? strtol(colon + 1, &end, 10) : -1;

	if (!colon || end == colon + 1 || *end || port < 0 || port > 65535 ||
	    hl >= sizeof(host))
		return tw_errf(eb, TW_EINVAL, "'%s': want ADDR:PORT", addr);
	memcpy(host, addr, hl);
	host[hl] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (!strcmp(host, "[::1]")) {
		a6->sin6_family = AF_INET6;
		a6->sin6_addr = in6addr_loopback;
		a6->sin6_port = htons((uint16_t)port);
		*sl = sizeof(*a6);
		return 0;
	}
	if (!strcmp(host, "localhost"))
		snprintf(host, sizeof(host), "127.0.0.1");
	if (inet_pton(AF_INET, host, &a4->sin_addr) != 1 ||
	    (ntohl(a4->sin_addr.s_addr) >> 24) != 127)
		return tw_errf(eb, TW_EINVAL, "'%s': only a loopback address",
		               addr);
	a4->sin_family = AF_INET;
	a4->sin_port = htons((uint16_t)port);
	*sl = sizeof(*a4);
	return 0;
}

int tw_l7_serve(struct tw_l7_server **out, const char *addr,
                struct tw_errbuf *eb)
{
	struct sockaddr_storage ss;
	socklen_t sl = 0;
	struct tw_l7_server *s;
	int one = 1, rc;

	*out = NULL;
	rc = parse(addr, &ss, &sl, eb);
	if (rc < 0)
		return rc;
	s = calloc(1, sizeof(*s));
	if (!s)
		return tw_errf(eb, TW_ENOMEM, "out of memory");
	s->wake[0] = s->wake[1] = -1;
	pthread_mutex_init(&s->lock, NULL);
	s->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->fd < 0 ||
	    setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(s->fd, (struct sockaddr *)&ss, sl) < 0 ||
	    listen(s->fd, 16) < 0 || pipe(s->wake) < 0) {
		rc = tw_errf(eb, TW_EIO, "listen on %s: %s", addr,
		             strerror(errno));
		goto fail;
	}
	sl = sizeof(ss);
	if (!getsockname(s->fd, (struct sockaddr *)&ss, &sl))
		s->port =
		        ntohs(ss.ss_family == AF_INET6
		                      ? ((struct sockaddr_in6 *)&ss)->sin6_port
		                      : ((struct sockaddr_in *)&ss)->sin_port);
	if (pthread_create(&s->thread, NULL, serve, s)) {
		rc = tw_errf(eb, TW_ENOMEM, "metrics thread: cannot start");
		goto fail;
	}
	*out = s;
	return 0;
fail:
	if (s->fd >= 0)
		close(s->fd);
	if (s->wake[0] >= 0) {
		close(s->wake[0]);
		close(s->wake[1]);
	}
	pthread_mutex_destroy(&s->lock);
	free(s);
	return rc;
}

void tw_l7_serve_publish(struct tw_l7_server *s, const char *text)
{
	char *copy = strdup(text), *old;

	if (!copy)
		return;
	pthread_mutex_lock(&s->lock);
	old = s->text;
	s->text = copy;
	pthread_mutex_unlock(&s->lock);
	free(old);
}

unsigned tw_l7_serve_port(const struct tw_l7_server *s)
{
	return s->port;
}

void tw_l7_serve_close(struct tw_l7_server *s)
{
	if (!s)
		return;
	close(s->wake[1]);
	pthread_join(s->thread, NULL);
	close(s->wake[0]);
	close(s->fd);
	pthread_mutex_destroy(&s->lock);
	free(s->text);
	free(s);
}
