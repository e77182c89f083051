"""The Docker engine: ``engine`` (the engine, its warm pool and janitor), ``sandbox`` (one
started container whose agent waits for steps), ``agent_channel`` (the host's end of the agent)
and ``agent/duet-agent.c`` (the agent, the container's first process, compiled into the runtime)."""
