"""`make demo`: the whole product against the local emulators, start to finish."""
