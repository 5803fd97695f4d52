#!/bin/sh
# Install an organisation policy on a Mac with safe permissions (docs/it/policy.md).
# Run as root, e.g. from an MDM script:   sudo sh install-policy.sh /path/to/policy.toml
set -eu
src=${1:?usage: install-policy.sh POLICY.toml}
dir="/Library/Application Support/Scribe"
install -d -o root -g wheel -m 755 "$dir" "$dir/models"
install -o root -g wheel -m 644 "$src" "$dir/policy.toml"
echo "installed $dir/policy.toml (root:wheel 644); check it with: /Applications/Scribe.app/Contents/MacOS/scribe settings show"
