#!/bin/bash
# Used for docs/performance.md ("The live charts cost"); run it alternately with true and false.
# Decode tokens/s of one answer with the performance dock shown or hidden (argument: true|false).
d=$(mktemp -d); mkdir -p $d/config/q8chat
printf '[generation]\nmaxTokens=1800\ntemperature=0\n[view]\nperformanceVisible=%s\n' "$1" > $d/config/q8chat/q8chat.conf
HOME=$d XDG_CONFIG_HOME=$d/config XDG_DATA_HOME=$d/data XDG_CACHE_HOME=$d/cache QT_QPA_PLATFORM=offscreen \
  "$(dirname "$0")/../build/release/app/q8chat" --chats-dir $d/chats --prompt "def main():" --screenshot $d/w.png >/dev/null 2>&1
/usr/bin/python3 -c "import json,glob; c=json.load(open(glob.glob('$d/chats/*.json')[0])); m=c['messages'][-1]['figures']; print(m['decode_tokens_per_s'])"
rm -rf $d
