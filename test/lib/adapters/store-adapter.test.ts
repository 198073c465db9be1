import { StoreAdapter } from "../../../src/lib/adapters/store-adapter.js"
import { MemoryStore } from "../../../src/lib/store/memory/store.js"
import { describeStorageAdapterContract } from "./storage-adapter-contract.js"

describeStorageAdapterContract("StoreAdapter over MemoryStore", async () => {
  const adapter = new StoreAdapter({ store: new MemoryStore(), nodeId: "node-a" })
  return { adapter, cleanup: () => adapter.close() }
})
