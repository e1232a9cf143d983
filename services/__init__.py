"""The rules of Linli. Services take the acting user and the clock as arguments and never
touch Flask's request, session, g, flash or templates; they flush but never commit."""
