import AgionCoordination
import AgionRuntime

// agion-coordination: reads AGION_* (docs/configuration.md), runs missions until SIGTERM.
await ServiceMain.run(Coordination.self)
