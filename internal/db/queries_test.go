package db

import (
	"maps"
	"testing"
	"time"
)

func TestOpenCycles(t *testing.T) {
	d := openTemp(t)
	// a: rotated twice; the second cycle is acked twice and has deliveries.
	old := addCredential(t, d, "a", t0)
	addAck(t, d, "a", old, at(time.Hour), "old-acker")
	addPending(t, d, old, "a", "30d", 0, "slack", at(day))
	cur := addRotation(t, d, "a", at(100*day), "cli")
	// An older rotation recorded later (a back-dated CLI rotation) must not
	// become the current cycle.
	addRotation(t, d, "a", at(50*day), "cli")
	addAck(t, d, "a", cur, at(102*day), "bob")
	addAck(t, d, "a", cur, at(101*day), "alice") // recorded later, but earlier: the first
	addPending(t, d, cur, "a", "7d", 0, "slack", at(110*day))
	addPending(t, d, cur, "a", "7d", 0, "email", at(110*day))
	addPending(t, d, cur, "a", "overdue", 2, "slack", at(120*day))
	update(t, d, func(tx *Tx) error {
		_, _, err := tx.InsertDelivery(Delivery{RotationID: cur, CredentialID: "a", Stage: "30d", Channel: "slack",
			Status: StatusSkipped, Due: at(105 * day)}, at(110*day))
		return err
	})
	// b: one cycle, nothing else.
	bRot := addCredential(t, d, "b", at(5*day))
	// c: inactive.
	addCredential(t, d, "c", t0)
	update(t, d, func(tx *Tx) error {
		c, err := tx.Credential("c")
		if err != nil {
			return err
		}
		c.Active = false
		return tx.PutCredential(c, at(day))
	})

	cycles, err := d.OpenCycles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(cycles) != 2 {
		t.Fatalf("%d cycles, want a and b: %+v", len(cycles), cycles)
	}
	a, b := cycles[0], cycles[1]
	if a.CredentialID != "a" || a.RotationID != cur || !a.RotatedAt.Equal(at(100*day)) {
		t.Errorf("a = %+v, want rotation %d at %v", a, cur, at(100*day))
	}
	if !a.AckAt.Equal(at(101*day)) || a.AckBy != "alice" {
		t.Errorf("a ack = %v by %q, want the first: %v by alice", a.AckAt, a.AckBy, at(101*day))
	}
	wantSent := map[SentKey]bool{{"7d", 0}: true, {"overdue", 2}: true, {"30d", 0}: true}
	if !maps.Equal(a.Sent, wantSent) {
		t.Errorf("a sent = %v, want %v (the old cycle's 30d/0 delivery does not count)", a.Sent, wantSent)
	}
	if b.CredentialID != "b" || b.RotationID != bRot || !b.RotatedAt.Equal(at(5*day)) || !b.AckAt.IsZero() || b.AckBy != "" || len(b.Sent) != 0 {
		t.Errorf("b = %+v, want its only cycle, no ack, nothing sent", b)
	}
}

func TestDueRetrySentFailed(t *testing.T) {
	d := openTemp(t)
	rid := addCredential(t, d, "one", t0)
	addAck(t, d, "one", rid, at(2*time.Hour), "alice")
	late := addPending(t, d, rid, "one", "7d", 0, "slack", at(3*time.Hour))
	early := addPending(t, d, rid, "one", "7d", 0, "email", at(time.Hour))
	future := addPending(t, d, rid, "one", "24h", 0, "slack", at(5*time.Hour))
	rid2 := addCredential(t, d, "two", t0)
	other := addPending(t, d, rid2, "two", "7d", 0, "slack", at(3*time.Hour))
	update(t, d, func(tx *Tx) error { // not pending: never due
		_, _, err := tx.InsertDelivery(Delivery{RotationID: rid, CredentialID: "one", Stage: "30d", Channel: "slack",
			Status: StatusSkipped, Due: t0}, t0)
		return err
	})

	ids := func(ds []DueDelivery) []int64 {
		var out []int64
		for _, x := range ds {
			out = append(out, x.ID)
		}
		return out
	}
	due, err := d.Due(ctx, at(3*time.Hour), 10)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ids(due), []int64{early, late, other}; !equalIDs(got, want) {
		t.Fatalf("Due = %v, want %v (oldest first; next_attempt_at <= now)", got, want)
	}
	x := due[0]
	if x.CredentialID != "one" || x.RotationID != rid || x.Stage != "7d" || x.Seq != 0 || x.Channel != "email" ||
		x.Status != StatusPending || !x.Due.Equal(at(time.Hour)) || x.Attempts != 0 {
		t.Errorf("due[0] = %+v", x.Delivery)
	}
	if !x.RotatedAt.Equal(t0) || !x.AckAt.Equal(at(2*time.Hour)) || x.AckBy != "alice" {
		t.Errorf("due[0] cycle: rotated %v, ack %v by %q", x.RotatedAt, x.AckAt, x.AckBy)
	}
	if y := due[2]; !y.AckAt.IsZero() || y.AckBy != "" {
		t.Errorf("unacknowledged cycle: ack %v by %q", y.AckAt, y.AckBy)
	}
	if due, _ := d.Due(ctx, at(3*time.Hour), 1); !equalIDs(ids(due), []int64{early}) {
		t.Errorf("Due with limit 1 = %v, want [%d]", ids(due), early)
	}
	if next, err := d.NextAttempt(ctx); err != nil || !next.Equal(at(time.Hour)) {
		t.Errorf("NextAttempt = %v, %v; want %v", next, err, at(time.Hour))
	}

	// A retry moves the delivery out of Due until its time.
	update(t, d, func(tx *Tx) error { return tx.MarkRetry(early, 1, at(4*time.Hour), "503 Service Unavailable") })
	if due, _ := d.Due(ctx, at(3*time.Hour), 10); !equalIDs(ids(due), []int64{late, other}) {
		t.Errorf("Due after retry = %v, want [%d %d]", ids(due), late, other)
	}
	r := deliveryByID(t, d, early)
	if r.Status != StatusPending || r.Attempts != 1 || !r.NextAttemptAt.Equal(at(4*time.Hour)) || r.LastError != "503 Service Unavailable" {
		t.Errorf("after MarkRetry = %+v", r)
	}
	due, _ = d.Due(ctx, at(4*time.Hour), 10)
	if got := ids(due); !equalIDs(got, []int64{late, other, early}) {
		t.Errorf("Due at the retry time = %v, want [%d %d %d]", got, late, other, early)
	} else if due[2].Attempts != 1 {
		t.Errorf("retried delivery attempts = %d, want 1", due[2].Attempts)
	}

	update(t, d, func(tx *Tx) error { return tx.MarkSent(early, 2, at(4*time.Hour)) })
	update(t, d, func(tx *Tx) error { return tx.MarkFailed(late, 8, "400 Bad Request") })
	s := deliveryByID(t, d, early)
	if s.Status != StatusSent || s.Attempts != 2 || !s.SentAt.Equal(at(4*time.Hour)) || !s.NextAttemptAt.IsZero() || s.LastError != "" {
		t.Errorf("after MarkSent = %+v", s)
	}
	f := deliveryByID(t, d, late)
	if f.Status != StatusFailed || f.Attempts != 8 || !f.NextAttemptAt.IsZero() || !f.SentAt.IsZero() || f.LastError != "400 Bad Request" {
		t.Errorf("after MarkFailed = %+v", f)
	}
	due, _ = d.Due(ctx, at(100*time.Hour), 10)
	if got := ids(due); !equalIDs(got, []int64{other, future}) {
		t.Errorf("Due after sent/failed = %v, want [%d %d]", got, other, future)
	}
	if next, _ := d.NextAttempt(ctx); !next.Equal(at(3 * time.Hour)) {
		t.Errorf("NextAttempt = %v, want %v", next, at(3*time.Hour))
	}
	update(t, d, func(tx *Tx) error {
		if err := tx.MarkSent(other, 1, at(5*time.Hour)); err != nil {
			return err
		}
		return tx.MarkSent(future, 1, at(5*time.Hour))
	})
	if next, err := d.NextAttempt(ctx); err != nil || !next.IsZero() {
		t.Errorf("NextAttempt with nothing pending = %v, %v; want zero", next, err)
	}
}

func equalIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func statuses(t *testing.T, d *DB) map[int64]string {
	t.Helper()
	all, err := d.Deliveries(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	out := map[int64]string{}
	for _, x := range all {
		out[x.ID] = x.Status
	}
	return out
}

func supersededEvents(t *testing.T, d *DB) map[int64]Event {
	t.Helper()
	evs, err := d.History(ctx, HistoryFilter{Type: EventReminder})
	if err != nil {
		t.Fatal(err)
	}
	out := map[int64]Event{}
	for _, e := range evs {
		if e.Status == StatusSuperseded {
			if _, dup := out[e.DeliveryID]; dup {
				t.Errorf("two superseded events for delivery %d", e.DeliveryID)
			}
			out[e.DeliveryID] = e
		}
	}
	return out
}

func TestSupersedePending(t *testing.T) {
	d := openTemp(t)
	old := addCredential(t, d, "one", t0)
	oldA := addPending(t, d, old, "one", "7d", 0, "slack", at(day))
	oldB := addPending(t, d, old, "one", "7d", 0, "email", at(day))
	oldSent := addPending(t, d, old, "one", "30d", 0, "slack", at(day))
	update(t, d, func(tx *Tx) error { return tx.MarkSent(oldSent, 1, at(day)) })
	cur := addRotation(t, d, "one", at(10*day), "cli")
	curA := addPending(t, d, cur, "one", "7d", 0, "slack", at(11*day))
	otherRot := addCredential(t, d, "two", t0)
	otherA := addPending(t, d, otherRot, "two", "7d", 0, "slack", at(day))

	update(t, d, func(tx *Tx) error { return tx.SupersedePending("one", cur, at(10*day), "superseded by the rotation") })
	want := map[int64]string{oldA: StatusSuperseded, oldB: StatusSuperseded, oldSent: StatusSent, curA: StatusPending, otherA: StatusPending}
	if got := statuses(t, d); !maps.Equal(got, want) {
		t.Errorf("statuses = %v, want %v", got, want)
	}
	evs := supersededEvents(t, d)
	if len(evs) != 2 {
		t.Fatalf("%d superseded events, want 2: %+v", len(evs), evs)
	}
	for _, id := range []int64{oldA, oldB} {
		e, ok := evs[id]
		if !ok || e.CredentialID != "one" || e.RotationID != old || e.Stage != "7d" || e.Detail != "superseded by the rotation" ||
			!e.Time.Equal(at(10*day)) || e.Type != EventReminder {
			t.Errorf("event for %d = %+v", id, e)
		}
	}
	if evs[oldA].Channel != "slack" || evs[oldB].Channel != "email" {
		t.Errorf("event channels = %q, %q", evs[oldA].Channel, evs[oldB].Channel)
	}
	x := deliveryByID(t, d, oldA)
	if !x.NextAttemptAt.IsZero() || x.LastError != "superseded by the rotation" {
		t.Errorf("superseded delivery = %+v", x)
	}
	if due, _ := d.Due(ctx, at(100*day), 10); len(due) != 2 {
		t.Errorf("Due = %d deliveries, want curA and otherA", len(due))
	}

	// Again: nothing left to supersede, no new events.
	update(t, d, func(tx *Tx) error { return tx.SupersedePending("one", cur, at(11*day), "again") })
	if n := len(supersededEvents(t, d)); n != 2 {
		t.Errorf("%d superseded events after a no-op, want 2", n)
	}
	// keepRotation 0 supersedes every cycle (a credential removed).
	update(t, d, func(tx *Tx) error { return tx.SupersedePending("one", 0, at(12*day), "removed") })
	if got := statuses(t, d); got[curA] != StatusSuperseded || got[otherA] != StatusPending {
		t.Errorf("after removal: %v", got)
	}
	if e := supersededEvents(t, d)[curA]; e.Detail != "removed" || e.RotationID != cur {
		t.Errorf("removal event = %+v", e)
	}
}

func TestSupersedeLessUrgent(t *testing.T) {
	d := openTemp(t)
	rid := addCredential(t, d, "one", t0)
	s30 := addPending(t, d, rid, "one", "30d", 0, "slack", at(day))
	s7 := addPending(t, d, rid, "one", "7d", 0, "slack", at(2*day))
	e7 := addPending(t, d, rid, "one", "7d", 0, "email", at(2*day))
	failed := addPending(t, d, rid, "one", "14d", 0, "slack", at(day))
	update(t, d, func(tx *Tx) error { return tx.MarkFailed(failed, 8, "x") })
	keep := addPending(t, d, rid, "one", "24h", 0, "slack", at(3*day))
	rid2 := addRotation(t, d, "one", at(3*day), "cli") // another cycle of the same credential
	otherCycle := addPending(t, d, rid2, "one", "7d", 0, "slack", at(3*day))

	update(t, d, func(tx *Tx) error { return tx.SupersedeLessUrgent(rid, "slack", keep, at(3*day)) })
	want := map[int64]string{s30: StatusSuperseded, s7: StatusSuperseded, e7: StatusPending, failed: StatusFailed,
		keep: StatusPending, otherCycle: StatusPending}
	if got := statuses(t, d); !maps.Equal(got, want) {
		t.Errorf("statuses = %v, want %v", got, want)
	}
	evs := supersededEvents(t, d)
	if len(evs) != 2 {
		t.Fatalf("%d superseded events, want 2: %+v", len(evs), evs)
	}
	for id, stage := range map[int64]string{s30: "30d", s7: "7d"} {
		e := evs[id]
		if e.Stage != stage || e.Channel != "slack" || e.RotationID != rid || e.CredentialID != "one" ||
			e.Detail != "superseded by a more recent reminder" || !e.Time.Equal(at(3*day)) {
			t.Errorf("event for %d = %+v", id, e)
		}
	}
}

func TestHistory(t *testing.T) {
	d := openTemp(t)
	addCredential(t, d, "a", t0)             // rotation event at t0
	rid := addCredential(t, d, "b", at(day)) // rotation event at t0+1d
	addAck(t, d, "b", rid, at(3*day), "alice")
	update(t, d, func(tx *Tx) error {
		for _, e := range []Event{
			{Time: at(2 * day), Type: EventReminder, CredentialID: "a", Stage: "7d", Channel: "slack", Status: StatusSent},
			{Time: at(2 * day), Type: EventReminder, CredentialID: "b", Stage: "7d", Channel: "slack", Status: StatusFailed},
			{Time: at(4 * day), Type: EventConfig, Detail: "config reloaded"},                  // no credential
			{Time: at(time.Hour), Type: EventCredential, CredentialID: "a", Status: "updated"}, // recorded late, sorts by time
		} {
			if err := tx.InsertEvent(e); err != nil {
				return err
			}
		}
		return nil
	})
	type key struct {
		typ, cred string
		t         time.Time
	}
	keys := func(evs []Event) []key {
		var out []key
		for _, e := range evs {
			out = append(out, key{e.Type, e.CredentialID, e.Time})
		}
		return out
	}
	all := []key{
		{EventRotation, "a", t0},
		{EventCredential, "a", at(time.Hour)},
		{EventRotation, "b", at(day)},
		{EventReminder, "a", at(2 * day)},
		{EventReminder, "b", at(2 * day)},
		{EventAck, "b", at(3 * day)},
		{EventConfig, "", at(4 * day)},
	}
	tests := []struct {
		name string
		f    HistoryFilter
		want []key
	}{
		{"all", HistoryFilter{}, all},
		{"credential", HistoryFilter{CredentialID: "b"}, []key{all[2], all[4], all[5]}},
		{"type", HistoryFilter{Type: EventReminder}, []key{all[3], all[4]}},
		{"since inclusive", HistoryFilter{Since: at(2 * day)}, all[3:]},
		{"until exclusive", HistoryFilter{Until: at(2 * day)}, all[:3]},
		{"window", HistoryFilter{Since: at(day), Until: at(3 * day)}, all[2:5]},
		{"all filters", HistoryFilter{CredentialID: "a", Type: EventReminder, Since: at(2 * day), Until: at(2*day + 1)}, []key{all[3]}},
		// Stored times are whole seconds; bounds with a fraction still split
		// them correctly.
		{"since with a fraction", HistoryFilter{Since: at(2*day - 1)}, all[3:]},
		{"since just after", HistoryFilter{Since: at(2*day + 1)}, all[5:]},
		{"until with a fraction", HistoryFilter{Until: at(2*day - 1)}, all[:3]},
		{"limit", HistoryFilter{Limit: 2}, all[:2]},
		{"no match", HistoryFilter{CredentialID: "zzz"}, nil},
	}
	for _, tt := range tests {
		evs, err := d.History(ctx, tt.f)
		if err != nil {
			t.Fatal(err)
		}
		got := keys(evs)
		if len(got) != len(tt.want) {
			t.Errorf("%s: %d events %v, want %v", tt.name, len(got), got, tt.want)
			continue
		}
		for i := range got {
			if got[i].typ != tt.want[i].typ || got[i].cred != tt.want[i].cred || !got[i].t.Equal(tt.want[i].t) {
				t.Errorf("%s: event %d = %v, want %v", tt.name, i, got[i], tt.want[i])
			}
		}
	}
	// Fields come back as written.
	evs, _ := d.History(ctx, HistoryFilter{Type: EventAck})
	if len(evs) != 1 || evs[0].RotationID != rid || evs[0].Actor != "alice" || evs[0].Status != "cli" || evs[0].Detail != "acknowledged via cli" {
		t.Errorf("ack event = %+v", evs)
	}
}

func TestStates(t *testing.T) {
	d := openTemp(t)
	old := addCredential(t, d, "a", t0)
	oldSent := addPending(t, d, old, "a", "7d", 0, "slack", at(day))
	update(t, d, func(tx *Tx) error { return tx.MarkSent(oldSent, 1, at(day)) })
	cur := addRotation(t, d, "a", at(10*day), "cli")
	addAck(t, d, "a", cur, at(12*day), "alice")
	s30 := addPending(t, d, cur, "a", "30d", 0, "slack", at(11*day))
	s7 := addPending(t, d, cur, "a", "7d", 0, "slack", at(12*day))
	f7 := addPending(t, d, cur, "a", "7d", 0, "email", at(12*day))
	addPending(t, d, cur, "a", "24h", 0, "slack", at(13*day))
	addPending(t, d, cur, "a", "24h", 0, "email", at(13*day))
	update(t, d, func(tx *Tx) error {
		if err := tx.MarkSent(s30, 1, at(11*day)); err != nil {
			return err
		}
		if err := tx.MarkSent(s7, 1, at(12*day)); err != nil {
			return err
		}
		return tx.MarkFailed(f7, 8, "x")
	})
	addCredential(t, d, "b", at(day))
	update(t, d, func(tx *Tx) error {
		c, _ := tx.Credential("b")
		c.Active = false
		c.ExpiresAt = at(50 * day)
		return tx.PutCredential(c, at(2*day))
	})

	states, err := d.States(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(states) != 2 {
		t.Fatalf("%d states, want 2 (active or not)", len(states))
	}
	a, b := states[0], states[1]
	if a.ID != "a" || a.Name != "a name" || a.Owner != "ops" || !a.Active || a.RotationPeriod != "180d" || a.Policy != "standard" {
		t.Errorf("a credential = %+v", a.Credential)
	}
	if a.RotationID != cur || !a.RotatedAt.Equal(at(10*day)) || a.Source != "cli" {
		t.Errorf("a cycle = %d at %v (%s), want %d at %v (cli)", a.RotationID, a.RotatedAt, a.Source, cur, at(10*day))
	}
	if !a.AckAt.Equal(at(12*day)) || a.AckBy != "alice" {
		t.Errorf("a ack = %v by %q", a.AckAt, a.AckBy)
	}
	if a.LastStage != "7d" || !a.LastSentAt.Equal(at(12*day)) {
		t.Errorf("a last sent = %q at %v, want 7d at %v", a.LastStage, a.LastSentAt, at(12*day))
	}
	if a.Failed != 1 || a.Pending != 2 {
		t.Errorf("a failed %d pending %d, want 1 and 2 (the old cycle does not count)", a.Failed, a.Pending)
	}
	if b.ID != "b" || b.Active || !b.ExpiresAt.Equal(at(50*day)) || b.Source != "config" || !b.RotatedAt.Equal(at(day)) ||
		b.LastStage != "" || !b.LastSentAt.IsZero() || !b.AckAt.IsZero() || b.Failed != 0 || b.Pending != 0 {
		t.Errorf("b = %+v", b)
	}
}

func TestCredentialsAndLatestRotation(t *testing.T) {
	d := openTemp(t)
	addCredential(t, d, "a", t0)
	addRotation(t, d, "a", at(20*day), "slack")
	addRotation(t, d, "a", at(10*day), "cli")
	update(t, d, func(tx *Tx) error {
		r, err := tx.LatestRotation("a")
		if err != nil {
			return err
		}
		if !r.RotatedAt.Equal(at(20*day)) || r.Source != "slack" || r.Actor != "alice" || r.CredentialID != "a" {
			t.Errorf("LatestRotation = %+v, want the one at %v", r, at(20*day))
		}
		if _, err := tx.LatestRotation("nope"); err != ErrNotFound {
			t.Errorf("LatestRotation(nope) err = %v, want ErrNotFound", err)
		}
		// The same rotation twice is refused by the unique key.
		if _, err := tx.InsertRotation(Rotation{CredentialID: "a", RotatedAt: at(20 * day), Source: "cli"}, at(21*day)); err == nil {
			t.Error("a second rotation at the same time was recorded")
		}
		return nil
	})
	update(t, d, func(tx *Tx) error {
		cs, err := tx.Credentials()
		if err != nil {
			return err
		}
		if len(cs) != 1 || cs["a"].Name != "a name" || !cs["a"].ConfigRotatedAt.Equal(t0) || !cs["a"].ExpiresAt.IsZero() {
			t.Errorf("Credentials = %+v", cs)
		}
		return nil
	})
	update(t, d, func(tx *Tx) error {
		a, err := tx.FirstAck(1)
		if err != ErrNotFound {
			t.Errorf("FirstAck with none = %+v, %v", a, err)
		}
		return nil
	})
}
