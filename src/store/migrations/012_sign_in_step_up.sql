-- Step-up at sign-in when detection asks for it and the account has no authenticator: a code by email.
ALTER TABLE user_sessions ADD COLUMN step_up_code_hash text
