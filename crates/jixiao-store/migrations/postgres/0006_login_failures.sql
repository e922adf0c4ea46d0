-- Failed sign-ins counted per account and client address: repeated failures from one address
-- lock that address out of that account for a while, and a stranger elsewhere cannot lock the
-- account's owner out. (users.failed_logins and users.locked_until are no longer used.)
CREATE TABLE login_failures (
    username TEXT NOT NULL,
    address TEXT NOT NULL,
    failures INTEGER NOT NULL,
    locked_until TEXT,
    PRIMARY KEY (username, address)
);
