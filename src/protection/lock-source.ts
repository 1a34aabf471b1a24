/** Where a lock came from: the user (signed in, by a mailed link, from the help center), detection or staff. */
export type LockSource = 'self' | 'email_link' | 'help_center' | 'detection' | 'staff';
