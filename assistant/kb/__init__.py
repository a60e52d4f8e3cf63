"""Knowledge base: the database of courts, users and Q&A entries, and the services on it."""
