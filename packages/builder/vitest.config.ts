import { kokerProject } from '../../vitest.shared.js';

export default kokerProject('builder');
