-- The staff page shows each member's last sign-in from the audit log.
CREATE INDEX audit_log_by_action_actor ON audit_log (action, actor_id, seq DESC)
