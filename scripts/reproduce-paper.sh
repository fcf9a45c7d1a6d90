#!/usr/bin/env bash
# The headline of Li, Wu, Li and Zhang, "Energy-Efficient Split Learning for Fine-Tuning
# Large Language Models in Edge Networks" (IEEE Networking Letters 7(3), 2025), in
# emulation: CARD against its benchmarks on configs/paper.json, each strategy one real
# run on the same channel draws, predicted and measured side by side; then the report.
# NATS_URL / REDIS_URL, when set, are used instead of servers of its own (see README).
set -euo pipefail
cd "$(dirname "$0")/.."

node scripts/bootstrap.mjs start

sledge() { node dist/emulator/cli.js "$@"; }
dir="runs/paper-$(date -u +%Y%m%d-%H%M%S)"
strategies="card,cut-only,fixed:cut=8,random,device-heavy,server-heavy"

# Prints every strategy's figures, then CARD's reduction against each benchmark.
sledge compare configs/paper.json --strategies "$strategies" --out "$dir"
echo
echo "paper (5 devices, simulated): CARD 70.8% lower average training delay and 53.1% lower server energy than its benchmarks"

# sledge report prints the path of the page it wrote, alone on stdout
echo "report: $(sledge report "$dir")"
