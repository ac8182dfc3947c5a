#define _GNU_SOURCE
#include "caps.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "util.h"

static int cap_count(void)
{
    /* The running kernel may know more or fewer capabilities than the
     * headers this was built with; only act on the ones both know. */
    int n = (int)cap_max_bits();
    return n > 64 ? 64 : n;
}

int cap_by_name(const char *s)
{
    if (*s >= '0' && *s <= '9') {
        if (strspn(s, "0123456789") != strlen(s) || strlen(s) > 2 || atoi(s) > CAP_LAST_CAP)
            return -1;
        return atoi(s);
    }
    const char *bare = strncasecmp(s, "cap_", 4) == 0 ? s + 4 : s;
    for (int c = 0; c <= CAP_LAST_CAP; c++) {
        char *name = cap_to_name(c);
        bool same = name != NULL && strncmp(name, "cap_", 4) == 0 && strcasecmp(name + 4, bare) == 0;
        cap_free(name);
        if (same)
            return c;
    }
    return -1;
}

uint64_t caps_requested(const struct plan *p, bool caller_is_root, bool new_userns, bool *inheritable)
{
    uint64_t initial = 0;
    if (caller_is_root) {
        cap_t cur = cap_get_proc();
        if (cur == NULL)
            die_errno("cap_get_proc");
        for (int c = 0; c < cap_count(); c++) {
            cap_flag_value_t v;
            if (cap_get_flag(cur, c, CAP_EFFECTIVE, &v) == 0 && v == CAP_SET)
                initial |= (uint64_t)1 << c;
        }
        cap_free(cur);
    }
    uint64_t all = cap_count() == 64 ? ~(uint64_t)0 : ((uint64_t)1 << cap_count()) - 1;
    uint64_t want = ((initial & ~p->cap_drop) | p->cap_add) & all;
    *inheritable = p->caps_given;
    /* A new user namespace starts with a full bounding set; anywhere else
     * nothing outside ours can be had. */
    if (new_userns || !p->cap_add)
        return want;
    uint64_t bounding = 0;
    for (int c = 0; c < cap_count(); c++)
        if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1)
            bounding |= (uint64_t)1 << c;
    if (!(want & ~bounding))
        return want;
    /* bwrap ignores capset's EPERM here, leaving the caller's sets alone.
     * That is what --cap-add ALL means, so do the same; for a named
     * capability it would run the command with more than was asked (all
     * of root's), so that is an error instead. */
    if ((want & bounding) != bounding) {
        char *name = cap_to_name(__builtin_ctzll(want & ~bounding));
        die("--cap-add %s: not in the bounding set, so it cannot be had", name);
    }
    *inheritable = false;
    return bounding;
}

void caps_limit_bounding(uint64_t keep)
{
    for (int c = 0; c < cap_count(); c++)
        if (!(keep & ((uint64_t)1 << c)) && cap_drop_bound(c) != 0)
            die_errno("can't drop capability %d from the bounding set", c);
}

void caps_apply(uint64_t keep, bool caps_given)
{
    cap_t caps = cap_init();
    if (caps == NULL)
        die_errno("cap_init");
    for (cap_value_t c = 0; c < cap_count(); c++) {
        if (!(keep & ((uint64_t)1 << c)))
            continue;
        cap_set_flag(caps, CAP_PERMITTED, 1, &c, CAP_SET);
        cap_set_flag(caps, CAP_EFFECTIVE, 1, &c, CAP_SET);
        if (caps_given)
            cap_set_flag(caps, CAP_INHERITABLE, 1, &c, CAP_SET);
    }
    if (cap_set_proc(caps) != 0)
        die_errno("capset failed");
    cap_free(caps);
    if (!caps_given)
        return;
    for (int c = 0; c < cap_count(); c++)
        if ((keep & ((uint64_t)1 << c)) && cap_set_ambient(c, CAP_SET) != 0)
            die_errno("can't raise ambient capability %d", c);
}
