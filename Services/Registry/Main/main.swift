import AgionRegistry
import AgionRuntime

// agion-registry: reads AGION_* (docs/configuration.md), runs until SIGTERM.
await ServiceMain.run(Registry.self)
