// Initialise GOV.UK Frontend components. Loaded as <script type="module">,
// so it only runs in browsers that GOV.UK Frontend supports.
import { initAll } from "./govuk-frontend.min.js";

initAll();
