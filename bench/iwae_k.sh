#!/usr/bin/env bash
# The IWAE paper's comparison (Burda et al. 2016, Table 1) on the bundled
# digits: the same 784-200-200-50 tanh architecture trained with k = 1 (the
# VAE's ELBO) and k = 5 (the IWAE bound), then log p(x) estimated with
# k = 5000 on the 2,000 held-out digits. Usage: bash bench/iwae_k.sh [EPOCHS]
set -euo pipefail
epochs=${1:-50}
out=${OUT:-runs/iwae-k}
mkdir -p "$out"
common=(--hidden 200,200 --latent 50 --activation tanh --batch 20 --epochs "$epochs" --eval-k 5000 --no-progress --json)
for k in 1 5; do
  model=$([ "$k" = 1 ] && echo vae || echo iwae)
  rm -rf "$out/k$k"
  node --import tsx cli/main.ts train "$model" --k "$k" "${common[@]}" --out "$out/k$k" > "$out-k$k.json"
  echo "k=$k: $(cat "$out-k$k.json")"
done
