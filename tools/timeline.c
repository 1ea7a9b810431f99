/* `uniemu timeline`: the tasks of a replayed run as lanes along instruction-count time,
 * drawn as a self-contained HTML page with inline SVG (no script, no network: it opens
 * offline in any browser; details show on hover through SVG <title> elements). */
#include "tools/timeline.h"
#include "tools/record.h"
#include "core/det.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool timeline_on;

struct tl_run { int tid; uint64_t start, end; };
struct tl_event { int tid; uint64_t at; char kind; char text[160]; };
static struct tl_run *runs;
static struct tl_event *events;
static size_t nruns, nevents, capruns, capevents;

void timeline_run(int tid, uint64_t start, uint64_t end)
{
    if (!timeline_on || end <= start) return;
    if (nruns && runs[nruns - 1].tid == tid && runs[nruns - 1].end == start) { runs[nruns - 1].end = end; return; }
    if (nruns == capruns) {
        capruns = capruns ? capruns * 2 : 256;
        struct tl_run *n = realloc(runs, capruns * sizeof *n);
        if (!n) return;
        runs = n;
    }
    runs[nruns++] = (struct tl_run){ tid, start, end };
}

void timeline_event(int tid, char kind, const char *text)
{
    if (!timeline_on) return;
    if (nevents == capevents) {
        capevents = capevents ? capevents * 2 : 256;
        struct tl_event *n = realloc(events, capevents * sizeof *n);
        if (!n) return;
        events = n;
    }
    struct tl_event *e = &events[nevents++];
    e->tid = tid;
    e->at = det_insns();
    e->kind = kind;
    snprintf(e->text, sizeof e->text, "%s", text);
}

void timeline_free(void)
{
    free(runs); free(events);
    runs = NULL; events = NULL;
    nruns = nevents = capruns = capevents = 0;
}

static void esc(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '<') fputs("&lt;", f);
        else if (*s == '>') fputs("&gt;", f);
        else if (*s == '&') fputs("&amp;", f);
        else if (*s == '"') fputs("&quot;", f);
        else fputc(*s, f);
    }
}

int timeline_write_html(const char *path, const char *title)
{
    /* Lanes in order of the tasks' first appearance. */
    int tids[1024], ntids = 0;
    uint64_t end = 1;
    for (size_t i = 0; i < nruns + nevents; i++) {
        int tid = i < nruns ? runs[i].tid : events[i - nruns].tid;
        uint64_t t = i < nruns ? runs[i].end : events[i - nruns].at;
        if (t > end) end = t;
        bool seen = false;
        for (int k = 0; k < ntids; k++) seen |= tids[k] == tid;
        if (!seen && ntids < 1024) tids[ntids++] = tid;
    }
    for (int a = 1; a < ntids; a++)
        for (int b = a; b > 0 && tids[b] < tids[b - 1]; b--) { int x = tids[b]; tids[b] = tids[b - 1]; tids[b - 1] = x; }
    /* A temporary file renamed into place (tools/record.h): never a half page. */
    struct out_file out;
    if (out_open(&out, path) != 0) return -1;
    FILE *f = out.f;
    const int left = 110, width = 1100, lane = 46, top = 50;
    int height = top + lane * ntids + 40;
#define X(t) (left + (double)(t) * width / (double)end)
    fprintf(f, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>uniemu timeline: ");
    esc(f, title);
    fprintf(f, "</title>\n<style>body{font-family:sans-serif;margin:16px}svg text{font-size:12px}"
               ".run{fill:#7aa6d8}.syscall{stroke:#333;stroke-width:1}.signal{fill:#e8a33d}.fault{fill:#d62728}"
               ".end{fill:#555}.lane-bg{fill:#f4f4f4}</style></head><body>\n<h1>");
    esc(f, title);
    fprintf(f, "</h1>\n<p>%d task%s, %llu instructions. Blue: the task runs; ticks: system calls; orange: signals; "
               "red: the fault; grey: the end. Hover for details.</p>\n",
            ntids, ntids == 1 ? "" : "s", (unsigned long long)end);
    fprintf(f, "<svg id=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\">\n", left + width + 20, height);
    fprintf(f, "<text x=\"%d\" y=\"20\">instruction 0</text><text x=\"%d\" y=\"20\" text-anchor=\"end\">%llu</text>\n",
            left, left + width, (unsigned long long)end);
    for (int k = 0; k < ntids; k++) {
        int y = top + k * lane;
        fprintf(f, "<g class=\"lane\" data-tid=\"%d\">\n<rect class=\"lane-bg\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\"/>"
                   "<text x=\"8\" y=\"%d\">task %d</text>\n", tids[k], left, y, width, lane - 10, y + 22, tids[k]);
        for (size_t i = 0; i < nruns; i++) {
            if (runs[i].tid != tids[k]) continue;
            double x0 = X(runs[i].start), x1 = X(runs[i].end);
            fprintf(f, "<rect class=\"run\" x=\"%.2f\" y=\"%d\" width=\"%.2f\" height=\"%d\"><title>task %d runs: "
                       "instructions %llu to %llu</title></rect>\n", x0, y + 4, x1 - x0 < 0.5 ? 0.5 : x1 - x0, lane - 18,
                    tids[k], (unsigned long long)runs[i].start, (unsigned long long)runs[i].end);
        }
        for (size_t i = 0; i < nevents; i++) {
            struct tl_event *e = &events[i];
            if (e->tid != tids[k]) continue;
            double x = X(e->at);
            const char *cls = e->kind == 's' ? "syscall" : e->kind == 'g' ? "signal" : e->kind == 'f' ? "fault" : "end";
            if (e->kind == 's')
                fprintf(f, "<line class=\"%s\" x1=\"%.2f\" x2=\"%.2f\" y1=\"%d\" y2=\"%d\">", cls, x, x, y, y + lane - 10);
            else
                fprintf(f, "<circle class=\"%s\" cx=\"%.2f\" cy=\"%d\" r=\"%d\">", cls, x, y + (lane - 10) / 2,
                        e->kind == 'f' ? 8 : 5);
            fprintf(f, "<title>task %d at instruction %llu: ", e->tid, (unsigned long long)e->at);
            esc(f, e->text);
            fprintf(f, "</title></%s>\n", e->kind == 's' ? "line" : "circle");
        }
        fprintf(f, "</g>\n");
    }
    fprintf(f, "</svg>\n</body></html>\n");
#undef X
    if (ferror(f)) { out_abort(&out); return -1; }
    return out_commit(&out);
}
