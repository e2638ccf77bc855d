"""The graph's steps, one module each: plain callables over ThreadState whose
collaborators are passed in, so each can be built and run alone (see assistant/graph.py
for how they are wired)."""
