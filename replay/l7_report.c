/*
 * l7_report.c - the HTML report of an L7 replay (see l7_report.h).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "replay/l7_report.h"

#define W 720
#define H 320
#define PAD 50

/* Text with &, <, >, " escaped. */
static void html(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

/* x for a percentile: the "nines" scale, -log10(1 - p/100). */
static double px(double p)
{
	double n = -log10(1 - p / 100);

	return PAD + n / 5 * (W - 2 * PAD);
}

static double py(uint64_t ns, double lo, double hi)
{
	double v = log10((double)(ns ? ns : 1));

	return H - PAD - (v - lo) / (hi - lo) * (H - 2 * PAD);
}

/* Latency against percentile, up to p99.999. */
static void plot(FILE *f, const struct tw_hist *h)
{
	double lo, hi;

	fprintf(f,
	        "<svg width=\"%d\" height=\"%d\" "
	        "xmlns=\"http://www.w3.org/2000/svg\">\n",
	        W, H);
	if (!h->count) {
		fputs("<text x=\"20\" y=\"40\">no answers</text></svg>\n", f);
		return;
	}
	lo = floor(log10((double)(h->min ? h->min : 1)));
	hi = ceil(log10((double)(h->max ? h->max : 1)));
	if (hi <= lo)
		hi = lo + 1;
	fprintf(f,
	        "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
	        "fill=\"none\" stroke=\"#888\"/>\n",
	        PAD, PAD, W - 2 * PAD, H - 2 * PAD);
	for (int n = 0; n <= 5; n++)
		fprintf(f,
		        "<text x=\"%.0f\" y=\"%d\" font-size=\"11\" "
		        "text-anchor=\"middle\">p%g</text>\n",
		        px(100 - 100 * pow(10, -n)), H - PAD + 16,
		        100 - 100 * pow(10, -n));
	for (double e = lo; e <= hi; e++)
		fprintf(f,
		        "<text x=\"%d\" y=\"%.0f\" font-size=\"11\" "
		        "text-anchor=\"end\">%g ms</text>\n",
		        PAD - 4, py((uint64_t)pow(10, e), lo, hi) + 4,
		        pow(10, e) / 1e6);
	fputs("<polyline fill=\"none\" stroke=\"#c33\" stroke-width=\"2\" "
	      "points=\"",
	      f);
	for (int i = 0; i <= 100; i++) {
		double p = 100 - 100 * pow(10, -5.0 * i / 100);

		if (p <= 0)
			p = 0.0001;
		fprintf(f, "%.1f,%.1f ", px(p),
		        py(tw_hist_percentile(h, p), lo, hi));
	}
	fputs("\"/>\n</svg>\n", f);
}

static void row(FILE *f, const char *name, const struct tw_hist *h,
                const uint64_t *outcome)
{
	static const double q[] = { 50, 90, 99, 99.9 };

	fputs("<tr><td>", f);
	html(f, name);
	fprintf(f, "</td><td>%llu</td>", (unsigned long long)outcome[TW_L7_OK]);
	if (!h->count) { /* no answer: no latency, not 0 */
		fputs("<td>-</td><td>-</td><td>-</td><td>-</td><td>-</td>"
		      "</tr>\n",
		      f);
		return;
	}
	for (int i = 0; i < 4; i++)
		fprintf(f, "<td>%.3f</td>",
		        (double)tw_hist_percentile(h, q[i]) / 1e6);
	fprintf(f, "<td>%.3f</td></tr>\n", (double)h->max / 1e6);
}

static void body(FILE *f, const struct tw_l7_stats *st, const char *trace,
                 const char *target)
{
	fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
	      "<title>tracewarp L7 replay</title><style>body{font-family:"
	      "sans-serif;margin:2em}td,th{padding:2px 8px;text-align:right}"
	      "td:first-child{text-align:left}</style></head><body>\n"
	      "<h1>tracewarp L7 replay</h1>\n<p>",
	      f);
	html(f, trace);
	fputs(" against ", f);
	html(f, target);
	fprintf(f,
	        "</p>\n<p>%llu scheduled, %llu sent (%llu late), %llu "
	        "completed in %.3f s on %llu connections</p>\n",
	        (unsigned long long)st->scheduled, (unsigned long long)st->sent,
	        (unsigned long long)st->late, (unsigned long long)st->completed,
	        (double)st->elapsed_ns / 1e9,
	        (unsigned long long)st->connections);
	if (st->interrupted)
		fprintf(f,
		        "<p><b>Interrupted</b> by a signal: %llu requests in "
		        "flight cancelled</p>\n",
		        (unsigned long long)st->outcome[TW_L7_CANCELLED]);
	fputs("<h2>Outcomes</h2>\n<table>\n", f);
	for (int i = 0; i < TW_L7_OUTCOMES; i++) {
		fprintf(f, "<tr><td>%s</td><td>%llu</td><td>",
		        tw_l7_outcome_name(i),
		        (unsigned long long)st->outcome[i]);
		if (st->outcome[i]) /* the first reason, when one was given */
			html(f, st->reason[i]);
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n<h2>Latency distribution</h2>\n", f);
	plot(f, &st->latency);
	fputs("<h2>Routes</h2>\n<table><tr><th>route</th><th>ok</th>"
	      "<th>p50 ms</th><th>p90 ms</th><th>p99 ms</th>"
	      "<th>p99.9 ms</th><th>max ms</th></tr>\n",
	      f);
	row(f, "(all)", &st->latency, st->outcome);
	for (size_t i = 0; i < st->nroutes; i++)
		row(f, st->routes[i].name, &st->routes[i].latency,
		    st->routes[i].outcome);
	fputs("</table>\n</body></html>\n", f);
}

int tw_l7_report_put(FILE *f, const struct tw_l7_stats *st, const char *trace,
                     const char *target)
{
	body(f, st, trace, target);
	return fflush(f) || ferror(f) ? -1 : 0;
}

int tw_l7_report_write(const char *path, const struct tw_l7_stats *st,
                       const char *trace, const char *target,
                       struct tw_errbuf *eb)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return tw_errf(eb, TW_EIO, "%s: %s", path, strerror(errno));
	body(f, st, trace, target);
	if (ferror(f) | fclose(f))
		return tw_errf(eb, TW_EIO, "%s: write failed", path);
	return 0;
}
