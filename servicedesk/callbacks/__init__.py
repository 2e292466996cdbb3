"""Call-backs: a citizen who could not reach an officer leaves a phone number and a preferred
time; the console lists them by due time and an officer marks each one done (which erases the
number)."""
