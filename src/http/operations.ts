// Every route file's operations, for the OpenAPI document: building it fails while a route the app serves
// is missing here.
import { clientsOperations } from "./routes/clients";
import { healthOperations } from "./routes/health";
import { liveOperations } from "./routes/live";

export const operations = { ...clientsOperations, ...liveOperations, ...healthOperations };
