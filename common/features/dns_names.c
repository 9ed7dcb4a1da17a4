// SPDX-License-Identifier: Apache-2.0
#include "dns_names.h"

/* Before ldns, whose headers otherwise define bool as signed char. */
#include <stdbool.h>

#include <ldns/ldns.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define WAYS    4 /* entries per bucket: an address is looked for in one bucket only */
#define BUCKETS (TT_DNS_NAMES_ENTRIES / WAYS)
#define NS      1000000000ULL

struct answer {
	uint64_t learnt_ns; /* 0: none */
	uint64_t expires_ns;
	char name[TT_DNS_NAME_MAX + 1];
};

/*
 * An address with its last two answers: connects are printed a batch at a
 * time, after the batch's answers are learnt, so a connect may be printed
 * after a later answer for its address; it still gets the one before.
 */
struct entry {
	struct answer latest, before;
	uint8_t family; /* 0: free */
	uint8_t addr[16];
};

struct tt_dns_names {
	pthread_mutex_t lock; /* learning against tt_dns_names_copy on another thread */
	struct entry entries[BUCKETS][WAYS];
};

struct tt_dns_names *tt_dns_names_new(void)
{
	struct tt_dns_names *names = calloc(1, sizeof(struct tt_dns_names));
	if (names && pthread_mutex_init(&names->lock, NULL) != 0) {
		free(names);
		return NULL;
	}
	return names;
}

void tt_dns_names_free(struct tt_dns_names *names)
{
	if (!names)
		return;
	pthread_mutex_destroy(&names->lock);
	free(names);
}

static size_t addr_len(int family)
{
	return family == AF_INET6 ? 16 : 4;
}

/* FNV-1a over the family and the address. */
static size_t bucket_index(int family, const uint8_t *addr)
{
	uint32_t hash = 2166136261u ^ (uint32_t)family;
	hash *= 16777619u;
	for (size_t i = 0; i < addr_len(family); i++) {
		hash ^= addr[i];
		hash *= 16777619u;
	}
	return hash % BUCKETS;
}

static bool same_addr(const struct entry *e, int family, const uint8_t *addr)
{
	return e->family == (uint8_t)family && memcmp(e->addr, addr, addr_len(family)) == 0;
}

/* The address's own entry, else a free or expired one, else the oldest answer's. */
static struct entry *slot_for(struct entry *bucket, int family, const uint8_t *addr,
                              uint64_t now_ns)
{
	for (size_t i = 0; i < WAYS; i++)
		if (same_addr(&bucket[i], family, addr))
			return &bucket[i];
	struct entry *oldest = &bucket[0];
	for (size_t i = 0; i < WAYS; i++) {
		if (bucket[i].family == 0 || bucket[i].latest.expires_ns <= now_ns)
			return &bucket[i];
		if (bucket[i].latest.learnt_ns < oldest->latest.learnt_ns)
			oldest = &bucket[i];
	}
	return oldest;
}

static void remember(struct tt_dns_names *names, int family, const uint8_t *addr, const char *name,
                     uint64_t now_ns, uint32_t ttl)
{
	struct entry *slot =
	    slot_for(names->entries[bucket_index(family, addr)], family, addr, now_ns);
	if (ttl < TT_DNS_NAMES_MIN_TTL_S)
		ttl = TT_DNS_NAMES_MIN_TTL_S;
	if (ttl > TT_DNS_NAMES_MAX_TTL_S)
		ttl = TT_DNS_NAMES_MAX_TTL_S;
	if (same_addr(slot, family, addr)) {
		slot->before = slot->latest;
	} else {
		memset(slot, 0, sizeof(*slot));
		slot->family = (uint8_t)family;
		memcpy(slot->addr, addr, addr_len(family));
	}
	slot->latest.learnt_ns = now_ns;
	slot->latest.expires_ns = now_ns + ttl * NS;
	memcpy(slot->latest.name, name, TT_DNS_NAME_MAX + 1);
}

/* The question's name, from its wire form (labels, each after its length byte). */
static void name_text(const ldns_rdf *dname, char out[TT_DNS_NAME_MAX + 1])
{
	const uint8_t *wire = ldns_rdf_data(dname);
	size_t size = ldns_rdf_size(dname), n = 0;
	for (size_t i = 0; i < size && wire[i] != 0;) {
		size_t label = wire[i++];
		if (n > 0 && n < TT_DNS_NAME_MAX)
			out[n++] = '.';
		for (size_t j = 0; j < label && i < size; j++, i++) {
			if (n == TT_DNS_NAME_MAX)
				continue;
			if (wire[i] == 0)
				out[n++] = '?';
			else
				out[n++] = (char)wire[i];
		}
	}
	if (n == 0)
		out[n++] = '.'; /* the root */
	out[n] = '\0';
}

/* A successful answer to exactly one question of class IN. */
static const ldns_rr *usable_question(const ldns_pkt *pkt)
{
	const ldns_rr_list *questions = ldns_pkt_question(pkt);
	if (!ldns_pkt_qr(pkt) || ldns_pkt_get_opcode(pkt) != LDNS_PACKET_QUERY ||
	    ldns_pkt_get_rcode(pkt) != LDNS_RCODE_NOERROR || !questions ||
	    ldns_rr_list_rr_count(questions) != 1)
		return NULL;
	const ldns_rr *question = ldns_rr_list_rr(questions, 0);
	if (ldns_rr_get_class(question) != LDNS_RR_CLASS_IN || !ldns_rr_owner(question))
		return NULL;
	return question;
}

int tt_dns_names_learn(struct tt_dns_names *names, const uint8_t *message, size_t len,
                       uint64_t now_ns)
{
	ldns_pkt *pkt = NULL;
	if (ldns_wire2pkt(&pkt, message, len) != LDNS_STATUS_OK) {
		ldns_pkt_free(pkt);
		return 0;
	}
	int named = 0;
	pthread_mutex_lock(&names->lock);
	const ldns_rr *question = usable_question(pkt);
	const ldns_rr_list *answers = ldns_pkt_answer(pkt);
	if (question && answers) {
		char name[TT_DNS_NAME_MAX + 1] = {0};
		name_text(ldns_rr_owner(question), name);
		for (size_t i = 0; i < ldns_rr_list_rr_count(answers); i++) {
			const ldns_rr *rr = ldns_rr_list_rr(answers, i);
			ldns_rr_type type = ldns_rr_get_type(rr);
			const ldns_rdf *rdata =
			    ldns_rr_rd_count(rr) == 1 ? ldns_rr_rdf(rr, 0) : NULL;
			int family = type == LDNS_RR_TYPE_A ? AF_INET : AF_INET6;
			if ((type != LDNS_RR_TYPE_A && type != LDNS_RR_TYPE_AAAA) || !rdata ||
			    ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN ||
			    ldns_rdf_size(rdata) != addr_len(family))
				continue;
			remember(names, family, ldns_rdf_data(rdata), name, now_ns,
			         ldns_rr_ttl(rr));
			named++;
		}
	}
	pthread_mutex_unlock(&names->lock);
	ldns_pkt_free(pkt);
	return named;
}

/* The latest answer learnt by now_ns and not expired then, or NULL. */
static const char *answer_at(const struct entry *e, uint64_t now_ns)
{
	const struct answer *a = e->latest.learnt_ns <= now_ns ? &e->latest : &e->before;
	if (a->expires_ns == 0 || a->learnt_ns > now_ns || now_ns >= a->expires_ns)
		return NULL;
	return a->name;
}

const char *tt_dns_names_lookup(const struct tt_dns_names *names, int family, const uint8_t *addr,
                                uint64_t now_ns)
{
	static const uint8_t v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	if (family == AF_INET6 && memcmp(addr, v4_mapped, sizeof(v4_mapped)) == 0) {
		family = AF_INET;
		addr += sizeof(v4_mapped);
	}
	const struct entry *bucket = names->entries[bucket_index(family, addr)];
	for (size_t i = 0; i < WAYS; i++)
		if (same_addr(&bucket[i], family, addr))
			return answer_at(&bucket[i], now_ns);
	return NULL;
}

bool tt_dns_names_copy(struct tt_dns_names *names, int family, const uint8_t *addr, uint64_t now_ns,
                       char name[TT_DNS_NAME_MAX + 1])
{
	pthread_mutex_lock(&names->lock);
	const char *found = tt_dns_names_lookup(names, family, addr, now_ns);
	if (found)
		snprintf(name, TT_DNS_NAME_MAX + 1, "%s", found);
	pthread_mutex_unlock(&names->lock);
	return found != NULL;
}
