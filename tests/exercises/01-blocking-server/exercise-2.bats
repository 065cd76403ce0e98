#!/usr/bin/env bats
# Step 01, exercise 2: refuse a second client politely instead of making it wait.
bats_require_minimum_version 1.5.0
load ../exercise

@test "a second client gets 'busy' at once and is disconnected; the first is still served" { check_busy_limit 1; }
