package main

// What the stand-in did, for GET /standin/status (tests read it; the real server has no such endpoint).

import (
	"sort"
	"sync"
	"time"
)

const keepEvents = 50

type Status struct {
	mu        sync.Mutex
	startedAt time.Time
	objects   map[string]map[string]bool
	auth      map[string]int
	recent    []map[string]string
	webhooks  []map[string]string
	notify    []map[string]any
	counts    map[string]int
}

func NewStatus() *Status {
	return &Status{
		startedAt: time.Now().UTC(),
		objects:   map[string]map[string]bool{},
		auth:      map[string]int{},
		counts:    map[string]int{},
	}
}

func (s *Status) created(kind, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.objects[kind] == nil {
		s.objects[kind] = map[string]bool{}
	}
	s.objects[kind][name] = true
}

func (s *Status) decided(d Decision) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.auth[d.Kind]++
	s.recent = appendCapped(s.recent, map[string]string{
		"decision": d.Kind, "user_id": d.UserId, "room_id": d.RoomId, "reason": d.Reason,
		"at": time.Now().UTC().Format(time.RFC3339),
	})
}

func (s *Status) count(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts[name]++
}

func (s *Status) webhook(event map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.webhooks = appendCapped(s.webhooks, event)
}

func (s *Status) notified(event map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.notify = appendCapped(s.notify, event)
}

func appendCapped[T any](list []T, item T) []T {
	list = append(list, item)
	if len(list) > keepEvents {
		list = list[len(list)-keepEvents:]
	}
	return list
}

// Snapshot is the JSON document of /standin/status.
func (s *Status) Snapshot(extra map[string]any) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	objects := map[string][]string{}
	for kind, names := range s.objects {
		for name := range names {
			objects[kind] = append(objects[kind], name)
		}
		sort.Strings(objects[kind])
	}
	auth := map[string]int{}
	for k, v := range s.auth {
		auth[k] = v
	}
	counts := map[string]int{}
	for k, v := range s.counts {
		counts[k] = v
	}
	out := map[string]any{
		"standin":         true,
		"emulates":        "plugnmeet-server v2.4.0",
		"started_at":      s.startedAt.Format(time.RFC3339),
		"created":         objects,
		"auth_decisions":  auth,
		"recent_auth":     append([]map[string]string{}, s.recent...),
		"requests":        counts,
		"recent_webhooks": append([]map[string]string{}, s.webhooks...),
		"recent_notify":   append([]map[string]any{}, s.notify...),
	}
	for k, v := range extra {
		out[k] = v
	}
	return out
}
