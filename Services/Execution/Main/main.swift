import AgionExecution
import AgionRuntime

// agion-execution: reads AGION_* (docs/configuration.md), runs mission steps until SIGTERM.
await ServiceMain.run(Execution.self)
