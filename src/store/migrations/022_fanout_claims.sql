-- Fan-out claims (issue 6 review). Each claim of a delivery row gets its own token: the owner string names a
-- process, and one process may claim the same row again after its lease ran out, so only the token tells one
-- claim from the next. Guards on extending the lease and on recording an outcome compare the token.
ALTER TABLE deliveries ADD COLUMN lease_token text
--;
-- Times the row was given back because the update could not be rendered yet (no attempt counted); past a
-- limit the delivery is failed instead of being looked at again forever.
ALTER TABLE deliveries ADD COLUMN deferrals integer NOT NULL DEFAULT 0
