package schema

// Describe is notifier's schema as every migrated database has it, on
// both backends. Built on each call: there are no package-level globals
// to share or to change by accident.
func Describe() Schema {
	return Schema{Tables: tables(), Indexes: indexes(), Views: views()}
}

// id is a table's key as the database numbers it.
func id() Column { return Column{Name: "id", Type: Integer} }

// must is a column that refuses NULL; null one that allows it.
func must(name string, t Type) Column { return Column{Name: name, Type: t} }
func null(name string, t Type) Column { return Column{Name: name, Type: t, Null: true} }

func tables() []Table {
	return []Table{
		{
			// A credential as the config last described it; retired, never deleted.
			Name: "credentials", Key: []string{"id"}, Refuses: RefuseDelete,
			Columns: []Column{
				must("id", Text), must("name", Text), must("owner", Text), must("rotation_period", Text),
				null("expires_at", Time), must("policy", Text), must("config_rotated_at", Time), must("active", Bool),
				must("created_at", Time), must("updated_at", Time), must("file", Text), null("rotation_id", Integer),
				null("next_action_at", Time), null("lwa_client_id", Text), null("source_kind", Text),
				must("source_name", Text), must("source_region", Text), must("source_endpoint", Text),
				null("deadline", Time), // the current cycle's latest terms' deadline, kept by triggers (migration 0031, PostgreSQL 0029)
			},
			Note: "PostgreSQL's credentials_no_delete refuses DELETE, not TRUNCATE (the tables that refer to " +
				"credentials make a plain TRUNCATE fail anyway)",
		},
		{
			Name: "rotations", Key: []string{"id"}, Identity: true, Refuses: AppendOnly,
			Columns: []Column{
				id(), must("credential_id", Text), must("rotated_at", Time), must("source", Text),
				must("actor", Text), must("note", Text), must("recorded_at", Time),
			},
			Unique: [][]string{{"credential_id", "rotated_at"}},
		},
		{
			// The outbox.
			Name: "deliveries", Key: []string{"id"}, Identity: true,
			Columns: []Column{
				id(), must("rotation_id", Integer), must("credential_id", Text), must("stage", Text),
				must("seq", Integer), must("channel", Text), must("status", Text), must("due_at", Time),
				must("created_at", Time), must("attempts", Integer), null("next_attempt_at", Time),
				null("sent_at", Time), must("last_error", Text), null("claimed_by", Text), null("claim_expires_at", Time),
				null("recorded_at", Time), // the outcome's; NULL while pending, or recorded before migration 0009
			},
			Unique: [][]string{{"rotation_id", "stage", "channel", "seq"}},
		},
		{
			Name: "acknowledgments", Key: []string{"id"}, Identity: true, Refuses: AppendOnly,
			Columns: []Column{
				id(), must("credential_id", Text), must("rotation_id", Integer), must("acked_at", Time),
				must("actor", Text), must("note", Text), must("source", Text), null("delivery_id", Integer),
				null("recorded_at", Time),   // NULL: recorded before migration 0009 (PostgreSQL 0007)
				null("snoozed_until", Time), // a snooze's end; NULL: a plain acknowledgment (migration 0022, PostgreSQL 0020)
			},
		},
		{
			// Corrections: a retracted rotation or acknowledgment (kind,
			// target_id) stays, marked by its row here.
			Name: "retractions", Key: []string{"id"}, Identity: true, Refuses: AppendOnly,
			Columns: []Column{
				id(), must("credential_id", Text), must("kind", Text), must("target_id", Integer), must("retracted_at", Time),
				must("actor", Text), must("reason", Text), must("recorded_at", Time),
			},
			Unique: [][]string{{"kind", "target_id"}},
		},
		{
			// The history; hash is NULL before the chain started.
			Name: "events", Key: []string{"id"}, Refuses: AppendOnly,
			Columns: []Column{
				id(), must("time", Time), must("type", Text), null("credential_id", Text), null("rotation_id", Integer),
				null("delivery_id", Integer), must("stage", Text), must("channel", Text), must("status", Text),
				must("actor", Text), must("detail", Text), null("hash", Bytes),
				null("recorded_at", Time), // NULL: recorded before migration 0009; hashed from then on (chain v2)
			},
			Note: "the store gives event ids, in commit order, as the chain needs: a plain bigint key on " +
				"PostgreSQL; on SQLite an INTEGER PRIMARY KEY, which would number rows itself",
		},
		{
			Name: "config_files", Key: []string{"path"},
			Columns: []Column{
				must("path", Text), must("size", Integer),
				must("mod_time", Text), // RFC 3339 with nanoseconds, finer than timestamptz: text on both
				must("hash", Text), must("synced_at", Time),
			},
		},
		{
			Name: "sync_state", Key: []string{"key"},
			Columns: []Column{must("key", Text), must("value", Text)},
		},
		{
			// A cycle's deadline as Amazon states it; the latest row wins.
			Name: "cycle_deadlines", Key: []string{"id"}, Identity: true, Refuses: AppendOnly,
			Columns: []Column{
				id(), must("rotation_id", Integer), must("deadline", Time), must("source", Text),
				must("reference", Text), must("recorded_at", Time),
			},
		},
		{
			// A cycle's terms, fixed when it starts; a config change to the
			// open cycle, or a deadline Amazon states for it, appends a row;
			// the latest row is in force.
			Name: "cycle_terms", Key: []string{"id"}, Identity: true, Refuses: AppendOnly,
			Columns: []Column{
				id(), must("rotation_id", Integer), must("deadline", Time), must("policy", Text),
				must("rotation_period", Text), must("zone", Text), must("source", Text), must("recorded_at", Time),
				must("reference", Text), // source 'amazon': the notification id (migration 0016)
			},
		},
		{
			Name: "amazon_notifications", Key: []string{"notification_id"}, Refuses: AppendOnly,
			Columns: []Column{
				must("notification_id", Text), must("type", Text), must("client_id", Text), null("credential_id", Text),
				must("event_time", Time), must("received_at", Time),
			},
		},
		{
			Name: "source_versions", Key: []string{"id"}, Identity: true, Refuses: AppendOnly,
			Columns: []Column{
				id(), must("credential_id", Text), must("source", Text), must("source_name", Text),
				must("version", Text), must("version_at", Time), null("rotation_id", Integer), must("recorded_at", Time),
			},
			Unique: [][]string{{"credential_id", "source", "source_name", "version"}},
		},
		{
			Name: "lwa_probes", Key: []string{"id"}, Identity: true, Refuses: AppendOnly,
			Columns: []Column{
				id(), must("credential_id", Text), must("rotation_id", Integer), must("probed_at", Time),
				must("outcome", Text), must("detail", Text),
			},
		},
		{
			Name: "rotation_requests", Key: []string{"id"}, Identity: true, Refuses: AppendOnly,
			Columns: []Column{
				id(), must("credential_id", Text), must("rotation_id", Integer), must("client_id", Text),
				must("requested_at", Time), must("outcome", Text), must("called", Bool), must("actor", Text),
				must("detail", Text),
			},
		},
		{
			// One row; its key_id is set once, every other change refused.
			Name: "event_chain", Kind: ChainRecord, Refuses: AppendOnly,
			Columns: []Column{
				must("start_id", Integer), must("started_at", Time), null("key_id", Bytes),
				must("first_rotation_id", Integer), must("first_ack_id", Integer), must("first_delivery_id", Integer),
			},
		},
		{
			// A channel's digest at one scheduled moment: its outbox row.
			Name: "digests", Key: []string{"id"}, Identity: true,
			Columns: []Column{
				id(), must("channel", Text), must("scheduled_at", Time), must("status", Text), must("created_at", Time),
				must("attempts", Integer), null("next_attempt_at", Time), null("sent_at", Time), must("last_error", Text),
				null("claimed_by", Text), null("claim_expires_at", Time),
			},
			Unique: [][]string{{"channel", "scheduled_at"}},
		},
		{
			Name: "leases", Kind: Process, Key: []string{"name"},
			Columns: []Column{must("name", Text), must("holder", Text), must("acquired_at", Time), must("expires_at", Time)},
		},
		{
			Name: "schema_migrations", Kind: Migrations, Key: []string{"version"},
			Columns: []Column{must("version", Integer), must("name", Text), must("applied_at", Time)},
		},
	}
}

func indexes() []Index {
	pending := "status = 'pending'"
	return []Index{
		{Name: "credentials_next_action", Table: "credentials", Columns: []string{"next_action_at", "id"}, Where: "active AND next_action_at IS NOT NULL"},
		{Name: "credentials_file", Table: "credentials", Columns: []string{"file", "id"}, Where: "active"},
		{Name: "credentials_owner", Table: "credentials", Columns: []string{"owner", "id"}},
		{Name: "credentials_deadline", Table: "credentials", Columns: []string{"deadline", "id"}},
		{Name: "credentials_active_deadline", Table: "credentials", Columns: []string{"deadline", "id"}, Where: "active"},
		{Name: "credentials_retired", Table: "credentials", Columns: []string{"deadline", "id"}, Where: "NOT active"},
		{Name: "credentials_retired_id", Table: "credentials", Columns: []string{"id"}, Where: "NOT active"},
		{Name: "credentials_owner_deadline", Table: "credentials", Columns: []string{"owner", "deadline", "id"}},
		{Name: "credentials_lwa_client", Table: "credentials", Columns: []string{"lwa_client_id"}, Where: "lwa_client_id IS NOT NULL"},
		{Name: "credentials_source", Table: "credentials", Columns: []string{"id"}, Where: "source_kind IS NOT NULL AND active"},
		{Name: "deliveries_due", Table: "deliveries", Columns: []string{"channel", "next_attempt_at"}, Where: pending},
		{Name: "deliveries_pending_cycle", Table: "deliveries", Columns: []string{"rotation_id", "channel"}, Where: pending},
		{Name: "deliveries_credential", Table: "deliveries", Columns: []string{"credential_id", "status"}},
		{Name: "acknowledgments_rotation", Table: "acknowledgments", Columns: []string{"rotation_id", "acked_at"}},
		{Name: "acknowledgments_credential", Table: "acknowledgments", Columns: []string{"credential_id", "acked_at"}},
		{Name: "events_time", Table: "events", Columns: []string{"time"}},
		{Name: "events_time_id", Table: "events", Columns: []string{"time", "id"}, Only: Postgres,
			Note: "the history's pages read by a (time, id) keyset (PostgreSQL's migration 0030); SQLite's events_time " +
				"holds the id after the time already (its rowid)"},
		{Name: "events_credential", Table: "events", Columns: []string{"credential_id", "time"}},
		{Name: "events_notice", Table: "events", Columns: []string{"stage", "id"}, Where: "type = 'notice'"},
		{Name: "cycle_deadlines_rotation", Table: "cycle_deadlines", Columns: []string{"rotation_id", "id"}},
		{Name: "cycle_terms_rotation", Table: "cycle_terms", Columns: []string{"rotation_id", "id"}},
		{Name: "lwa_probes_credential", Table: "lwa_probes", Columns: []string{"credential_id", "probed_at"}},
		{Name: "lwa_probes_rotation", Table: "lwa_probes", Columns: []string{"rotation_id"}, Where: "outcome = 'rejected'",
			Only: Postgres, Note: "what RecordProbe's count of a cycle's rejected probes reads; added by PostgreSQL's " +
				"migration 0004, no SQLite migration has it yet"},
		{Name: "rotation_requests_client", Table: "rotation_requests", Columns: []string{"client_id", "requested_at"}},
		{Name: "rotation_requests_credential", Table: "rotation_requests", Columns: []string{"credential_id", "rotation_id"}},
		{Name: "rotations_time", Table: "rotations", Columns: []string{"rotated_at"}},
	}
}

// views are the auditors' views: stable names and columns over the
// tables (new columns only at the end), documented in docs/auditors.md
// ("SQL: the audit views").
func views() []View {
	return []View{
		{Name: "audit_rotations", Columns: []string{"rotation_id", "credential_id", "credential_name", "owner",
			"rotated_at", "source", "actor", "note", "recorded_at", "retracted_at", "retraction_id"}},
		{Name: "audit_acknowledgments", Columns: []string{"ack_id", "rotation_id", "credential_id", "acked_at",
			"actor", "source", "note", "delivery_id", "recorded_at", "snoozed_until"}},
		{Name: "audit_deliveries", Columns: []string{"delivery_id", "rotation_id", "credential_id", "stage", "seq",
			"channel", "status", "due_at", "sent_at", "attempts", "last_error", "created_at", "recorded_at"}},
		{Name: "audit_events", Columns: []string{"event_id", "time", "type", "credential_id", "rotation_id",
			"delivery_id", "stage", "channel", "status", "actor", "detail", "hash", "recorded_at"}},
		{Name: "audit_retractions", Columns: []string{"retraction_id", "credential_id", "kind", "target_id",
			"retracted_at", "actor", "reason", "recorded_at"}},
		{Name: "audit_cycles", Columns: []string{"rotation_id", "credential_id", "name", "owner", "active",
			"rotated_at", "rotation_period", "deadline", "closed_at", "rotated_by", "rotation_source", "outcome",
			"days_late", "reminders_sent", "reminders_failed", "first_acked_at", "first_acked_by", "policy", "deadline_source"}},
	}
}
