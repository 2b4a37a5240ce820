// SPDX-License-Identifier: GPL-2.0
/*
 * nvmxtop's full-screen display (ncurses): the header and table of top_fmt.c, a tree of VMs,
 * vCPU threads and exit reasons that expands and collapses, sorting, filters, pause and help.
 * It only reads views (top_data.h); the source is asked for a sample at each refresh.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curses.h>

#include "nvmx/exit_reasons.h"
#include "top_run.h"
#include "nvmx/util.h"

enum {
	PAIR_HEADER = 1,
	PAIR_VM,
	PAIR_TITLES,
	PAIR_NOTE,
};

struct node_key {
	int level; /* 0 VM, 1 vCPU, 2 reason */
	uint32_t tgid, tid, isa, reason;
};

struct row {
	struct node_key key;
	const struct top_stats *st;
	bool has_children, expanded;
	char name[128];
};

struct tui {
	struct top_run *r;
	struct top_view view;
	bool have_view;
	struct row *rows;
	size_t n_rows, cap_rows;
	struct node_key *collapsed;
	size_t n_collapsed, cap_collapsed;
	size_t sel, top;
	struct node_key sel_key;
	bool sel_valid;
	bool help;
	int prompt; /* 0, or the key that opened it: 'v' (VM filter), 'x' (reason filter) */
	char input[64];
	size_t input_len;
	bool color;
	char msg[512];
};

static bool key_eq(const struct node_key *a, const struct node_key *b)
{
	return a->level == b->level && a->tgid == b->tgid && (a->level < 1 || a->tid == b->tid) &&
	       (a->level < 2 || (a->isa == b->isa && a->reason == b->reason));
}

static bool is_collapsed(const struct tui *t, const struct node_key *k)
{
	for (size_t i = 0; i < t->n_collapsed; i++)
		if (key_eq(&t->collapsed[i], k))
			return true;
	return false;
}

static int set_collapsed(struct tui *t, const struct node_key *k, bool collapsed)
{
	for (size_t i = 0; i < t->n_collapsed; i++) {
		if (!key_eq(&t->collapsed[i], k))
			continue;
		if (!collapsed)
			t->collapsed[i] = t->collapsed[--t->n_collapsed];
		return 0;
	}
	if (!collapsed)
		return 0;
	if (t->n_collapsed == t->cap_collapsed) {
		size_t cap = t->cap_collapsed ? t->cap_collapsed * 2 : 16;
		struct node_key *p = realloc(t->collapsed, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		t->collapsed = p;
		t->cap_collapsed = cap;
	}
	t->collapsed[t->n_collapsed++] = *k;
	return 0;
}

static struct row *add_row(struct tui *t)
{
	if (t->n_rows == t->cap_rows) {
		size_t cap = t->cap_rows ? t->cap_rows * 2 : 64;
		struct row *p = realloc(t->rows, cap * sizeof(*p));

		if (!p)
			return NULL;
		t->rows = p;
		t->cap_rows = cap;
	}
	return &t->rows[t->n_rows++];
}

/* The visible rows of the tree; the selection follows its node. */
static int flatten(struct tui *t)
{
	const struct top_view *v = &t->view;
	struct row *row;
	char vmname[96];

	t->n_rows = 0;
	for (size_t i = 0; i < v->n_vms; i++) {
		const struct top_vm *vm = &v->vms[i];
		struct node_key k = { .level = 0, .tgid = vm->tgid };
		bool open = !is_collapsed(t, &k);

		row = add_row(t);
		if (!row)
			return -ENOMEM;
		row->key = k;
		row->st = &vm->st;
		row->has_children = vm->n_vcpus > 0;
		row->expanded = open;
		top_fmt_vm_name(vm, vmname, sizeof(vmname));
		snprintf(row->name, sizeof(row->name), "%c %s", open ? '-' : '+', vmname);
		for (size_t j = 0; open && j < vm->n_vcpus; j++) {
			const struct top_vcpu *vc = &vm->vcpus[j];
			struct node_key kc = { .level = 1, .tgid = vm->tgid, .tid = vc->tid };
			bool copen = !is_collapsed(t, &kc);

			row = add_row(t);
			if (!row)
				return -ENOMEM;
			row->key = kc;
			row->st = &vc->st;
			row->has_children = vc->n_reasons > 0;
			row->expanded = copen;
			snprintf(row->name, sizeof(row->name), "  %c thread %" PRIu32 " %s",
				 copen ? '-' : '+', vc->tid,
				 vc->n_reasons ? nvmx_isa_name(vc->reasons[0].isa) : "");
			for (size_t k2 = 0; copen && k2 < vc->n_reasons; k2++) {
				const struct top_reason *re = &vc->reasons[k2];

				row = add_row(t);
				if (!row)
					return -ENOMEM;
				row->key = (struct node_key){ .level = 2,
							      .tgid = vm->tgid,
							      .tid = vc->tid,
							      .isa = re->isa,
							      .reason = re->reason };
				row->st = &re->st;
				row->has_children = false;
				row->expanded = false;
				/* the isa is on the vCPU row: reason names need the width */
				snprintf(row->name, sizeof(row->name), "    %s", re->name);
			}
		}
	}
	if (t->sel_valid)
		for (size_t i = 0; i < t->n_rows; i++)
			if (key_eq(&t->rows[i].key, &t->sel_key)) {
				t->sel = i;
				return 0;
			}
	if (t->sel >= t->n_rows)
		t->sel = t->n_rows ? t->n_rows - 1 : 0;
	return 0;
}

static int rebuild(struct tui *t)
{
	int err;

	if (t->have_view)
		top_view_free(&t->view);
	t->have_view = false;
	err = top_run_view(t->r, &t->view);
	if (err)
		return err;
	t->have_view = true;
	return flatten(t);
}

static void select_row(struct tui *t, long to)
{
	if (!t->n_rows)
		return;
	if (to < 0)
		to = 0;
	if ((size_t)to >= t->n_rows)
		to = (long)t->n_rows - 1;
	t->sel = (size_t)to;
	t->sel_key = t->rows[t->sel].key;
	t->sel_valid = true;
}

static void put_line(int y, const char *text, attr_t attr)
{
	if (y >= LINES)
		return;
	attron(attr);
	mvaddnstr(y, 0, text, COLS);
	attroff(attr);
}

static const char *const help_text[] = {
	"nvmxtop: nested-virtualization exits, live",
	"",
	"Each row: a VM (its VMM process), a vCPU thread of it, or an exit reason of that",
	"thread. L2->L0: L2 exits the host KVM (L0) handled; L2->L1: exits reflected to the",
	"guest hypervisor (L1); L1%: L1's share; L2/s: L2 exits per second; L0 us: mean",
	"time L0 took to handle an L2 exit itself; L1 own: L1's own exits;",
	"synth: exits L0 made up for L1 (interrupts). Counts are per second (rates) or",
	"totals since the source began: t switches. The Turtles breakdown of reflected",
	"exits: RT us, the mean round trip from the L2 exit until L2 runs again; mult,",
	"the exit multiplication: L1's exits inside its handler per trip; on wide screens",
	"the trip's parts: L0exit (L0 decides), reflect (L0 enters L1), L1hdl, L1svc (L0",
	"serving L1's exits), L0entry (L0 emulating L1's VMRUN/VMRESUME). '-': the source",
	"has no breakdown",
	"(nvmxd and --standalone have it per VM: on the VM rows only).",
	"",
	"  Up/Down, j/k, PgUp/PgDn, Home/End   move the selection",
	"  Enter, space                        expand or collapse the selected VM / vCPU",
	"  +  /  -                             expand all  /  collapse all",
	"  s  /  r                             next sort key  /  reverse the order",
	"  t                                   rates per second  /  totals",
	"  v  /  x  /  c                       filter VMs  /  filter exit reasons  /  clear",
	"  e                                   the L1-exit view: L1's exits in round trips",
	"  p                                   pause (the counting goes on)",
	"  h, ?                                this help (any key closes it)",
	"  q                                   quit",
	"",
	"Batch text and JSON lines for scripts: nvmxtop --help.",
};

static void draw_help(struct tui *t)
{
	erase();
	for (size_t i = 0; i < sizeof(help_text) / sizeof(help_text[0]); i++)
		put_line((int)i, help_text[i], i == 0 ? A_BOLD : A_NORMAL);
	(void)t;
}

/* The L1-exit view: the rows of every VM the filters keep, from the top (e leaves it). */
static void draw_l1_view(struct tui *t, const struct top_fmt *f)
{
	char line[TOP_LINE_MAX];
	int y = 5, bottom = LINES - 1;
	bool any = false;

	top_fmt_l1_titles(f, line, sizeof(line));
	put_line(4, line, A_REVERSE | (t->color ? COLOR_PAIR(PAIR_TITLES) : 0));
	for (size_t i = 0; i < t->view.n_vms; i++)
		for (size_t k = 0; k < t->view.vms[i].n_l1s && y < bottom; k++, y++) {
			top_fmt_l1_row(f, &t->view, &t->view.vms[i], &t->view.vms[i].l1s[k], line,
				       sizeof(line));
			put_line(y, line, A_NORMAL);
			any = true;
		}
	if (!any)
		put_line(y, "no L1 exits inside complete round trips (yet, or with these filters)",
			 A_BOLD);
	put_line(bottom, "e back to the table  h help  q quit  t rate/total  v/x filter", A_NORMAL);
	refresh();
}

static void draw(struct tui *t)
{
	struct top_fmt f = { .width = COLS, .rate = t->r->rate };
	char head[TOP_HEADER_LINES][TOP_LINE_MAX], line[TOP_LINE_MAX];
	struct top_where w;
	int y, body, bottom = LINES - 1;

	if (t->help) {
		draw_help(t);
		refresh();
		return;
	}
	erase();
	if (LINES < 8 || COLS < 40) {
		put_line(0, "nvmxtop: the terminal is too small (40x8 at least)", A_BOLD);
		refresh();
		return;
	}
	top_run_where(t->r, &w);
	top_fmt_header(&f, &t->view, &w, head);
	for (int i = 0; i < TOP_HEADER_LINES; i++)
		put_line(i, head[i],
			 i == 0 ? A_BOLD | (t->color ? COLOR_PAIR(PAIR_HEADER) : 0) : A_NORMAL);
	snprintf(line, sizeof(line), "sort: %s %s  showing %s  filter: vm '%s' reason '%s'",
		 top_sort_name(t->r->sort), t->r->reverse ? "(reversed)" : "",
		 t->r->rate ? "per second" : "totals", t->r->filter.vm, t->r->filter.reason);
	put_line(3, line, A_NORMAL);
	if (t->r->l1_view) {
		draw_l1_view(t, &f);
		return;
	}
	top_fmt_titles(&f, line, sizeof(line));
	put_line(4, line, A_REVERSE | (t->color ? COLOR_PAIR(PAIR_TITLES) : 0));

	y = 5;
	body = bottom - y;
	if (!t->n_rows) {
		const char *why = t->view.n_vms_all ? "nothing matches the filters (c clears them)"
				  : t->r->src->note[0] ? t->r->src->note
						       : "no nested exits yet";

		attron(t->color ? COLOR_PAIR(PAIR_NOTE) : A_BOLD);
		mvaddnstr(y, 0, "no nested exits to show: ", COLS);
		/* wrapped over the body: the reason is the point of the screen */
		for (size_t off = 0, len = strlen(why); off < len && y + 1 < bottom;
		     off += (size_t)COLS)
			mvaddnstr(++y, 0, why + off, COLS);
		attroff(t->color ? COLOR_PAIR(PAIR_NOTE) : A_BOLD);
	}
	if (t->sel < t->top)
		t->top = t->sel;
	if (body > 0 && t->sel >= t->top + (size_t)body)
		t->top = t->sel - (size_t)body + 1;
	for (size_t i = t->top; t->n_rows && i < t->n_rows && y < bottom; i++, y++) {
		const struct row *row = &t->rows[i];
		attr_t attr = A_NORMAL;

		top_fmt_row(&f, &t->view, row->name, row->st, line, sizeof(line));
		if (row->key.level == 0)
			attr |= t->color ? COLOR_PAIR(PAIR_VM) | A_BOLD : A_BOLD;
		if (i == t->sel)
			attr |= A_REVERSE;
		put_line(y, line, attr);
	}
	if (t->prompt) {
		snprintf(line, sizeof(line), "%s filter (Enter applies, Esc cancels): %s",
			 t->prompt == 'v' ? "VM" : "exit reason", t->input);
		put_line(bottom, line, A_BOLD);
	} else if (t->msg[0]) {
		put_line(bottom, t->msg, A_BOLD);
	} else {
		put_line(bottom,
			 "h help  q quit  s sort  t rate/total  v/x filter  p pause  +/- expand",
			 A_NORMAL);
	}
	refresh();
}

/* 1: quit; 0: go on; negative errno. */
static int on_prompt_key(struct tui *t, int ch)
{
	if (ch == 27) { /* Esc */
		t->prompt = 0;
		return 0;
	}
	if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
		if (t->prompt == 'v')
			snprintf(t->r->filter.vm, sizeof(t->r->filter.vm), "%s", t->input);
		else
			snprintf(t->r->filter.reason, sizeof(t->r->filter.reason), "%s", t->input);
		t->prompt = 0;
		return rebuild(t);
	}
	if ((ch == KEY_BACKSPACE || ch == 127 || ch == 8) && t->input_len)
		t->input[--t->input_len] = '\0';
	else if (ch >= 32 && ch < 127 && t->input_len + 1 < sizeof(t->input)) {
		t->input[t->input_len++] = (char)ch;
		t->input[t->input_len] = '\0';
	}
	return 0;
}

static int on_key(struct tui *t, int ch)
{
	long page = LINES > 7 ? LINES - 7 : 1;
	int err = 0;

	t->msg[0] = '\0';
	if (t->help) {
		t->help = false;
		return 0;
	}
	if (t->prompt)
		return on_prompt_key(t, ch);
	switch (ch) {
	case 'q':
	case 'Q':
		return 1;
	case 'h':
	case '?':
		t->help = true;
		break;
	case KEY_UP:
	case 'k':
		select_row(t, (long)t->sel - 1);
		break;
	case KEY_DOWN:
	case 'j':
		select_row(t, (long)t->sel + 1);
		break;
	case KEY_PPAGE:
		select_row(t, (long)t->sel - page);
		break;
	case KEY_NPAGE:
		select_row(t, (long)t->sel + page);
		break;
	case KEY_HOME:
		select_row(t, 0);
		break;
	case KEY_END:
		select_row(t, (long)t->n_rows - 1);
		break;
	case '\n':
	case '\r':
	case KEY_ENTER:
	case ' ':
		if (t->n_rows && t->rows[t->sel].has_children) {
			const struct row *row = &t->rows[t->sel];

			t->sel_key = row->key;
			t->sel_valid = true;
			err = set_collapsed(t, &row->key, row->expanded);
			if (!err)
				err = flatten(t);
		}
		break;
	case '+':
	case '=':
		t->n_collapsed = 0;
		err = flatten(t);
		break;
	case '-':
		t->n_collapsed = 0;
		for (size_t i = 0; i < t->view.n_vms && !err; i++) {
			struct node_key k = { .level = 0, .tgid = t->view.vms[i].tgid };

			err = set_collapsed(t, &k, true);
		}
		/* the selection moves up to its VM */
		if (t->sel_valid)
			t->sel_key.level = 0;
		if (!err)
			err = flatten(t);
		break;
	case 's':
		t->r->sort = (enum top_sort)((t->r->sort + 1) % TOP_SORTS);
		err = rebuild(t);
		break;
	case 'r':
		t->r->reverse = !t->r->reverse;
		err = rebuild(t);
		break;
	case 't':
		t->r->rate = !t->r->rate;
		err = rebuild(t);
		break;
	case 'v':
	case 'x':
		t->prompt = ch;
		snprintf(t->input, sizeof(t->input), "%s",
			 ch == 'v' ? t->r->filter.vm : t->r->filter.reason);
		t->input_len = strlen(t->input);
		break;
	case 'c':
		t->r->filter.vm[0] = t->r->filter.reason[0] = '\0';
		err = rebuild(t);
		break;
	case 'p':
		t->r->paused = !t->r->paused;
		break;
	case 'e':
		t->r->l1_view = !t->r->l1_view;
		break;
	case KEY_RESIZE:
		break;
	default:
		snprintf(t->msg, sizeof(t->msg), "unknown key: h shows the keys");
	}
	return err;
}

static void tui_free(struct tui *t)
{
	if (t->have_view)
		top_view_free(&t->view);
	free(t->rows);
	free(t->collapsed);
}

int top_tui_run(struct top_run *r)
{
	struct tui t = { .r = r };
	uint64_t next;
	SCREEN *scr;
	int err;

	if (!r->have_cur) {
		err = top_run_sample(r, false); /* the baseline */
		if (err)
			return err;
	}
	scr = newterm(NULL, stdout, stdin);
	if (!scr)
		return -ENOTTY;
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	curs_set(0);
	set_escdelay(25);
	if (!r->no_color && has_colors()) {
		start_color();
		use_default_colors();
		init_pair(PAIR_HEADER, COLOR_CYAN, -1);
		init_pair(PAIR_VM, COLOR_YELLOW, -1);
		init_pair(PAIR_TITLES, COLOR_BLACK, COLOR_GREEN);
		init_pair(PAIR_NOTE, COLOR_RED, -1);
		t.color = true;
	}
	err = rebuild(&t);
	/* the first refresh comes fast: rates need a second sample */
	next = nvmx_mono_ns() + (uint64_t)((r->delay_s < 0.25 ? r->delay_s : 0.25) * 1e9);
	while (!err && !top_stopping) {
		uint64_t now = nvmx_mono_ns();
		int ch, wait_ms;

		draw(&t);
		if (r->paused || r->cur.ended)
			wait_ms = 250; /* signals and keys only */
		else
			wait_ms = now >= next ? 0 : (int)((next - now) / 1000000u) + 1;
		timeout(wait_ms);
		ch = getch();
		if (ch != ERR) {
			err = on_key(&t, ch);
			if (err > 0) {
				err = 0;
				break;
			}
			continue;
		}
		now = nvmx_mono_ns();
		if (r->paused || r->cur.ended || now < next)
			continue;
		err = top_run_sample(r, false);
		if (err && r->src->retry) {
			/*
			 * the last numbers stay; the header says since when they are stale and
			 * why, and the next try backs off (1, 2, 4 .. 30 s)
			 */
			err = 0;
			next = nvmx_mono_ns() + (uint64_t)r->backoff_s * 1000000000u;
			continue;
		} else if (!err) {
			err = rebuild(&t);
		}
		next += (uint64_t)(r->delay_s * 1e9);
		if (next < now)
			next = now + (uint64_t)(r->delay_s * 1e9);
	}
	endwin();
	delscreen(scr);
	tui_free(&t);
	return err;
}
