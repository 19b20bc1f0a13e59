"""Commands around the app: generate derived files, onboard a team, review a change, benchmark."""
