import AgionGovernance
import AgionRuntime

// agion-governance: reads AGION_* (docs/configuration.md), runs until SIGTERM.
await ServiceMain.run(Governance.self)
